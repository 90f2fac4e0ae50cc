import NN
import TensorCore
import TestSupport
import Testing

/// A one-block pre-norm Transformer LM wired by hand from the layers, as a model file would be:
/// wte + wpe → ln_1 → c_attn → attention → c_proj → residual → ln_f → tied head → cross-entropy.
private struct TinyLanguageModel {
  let vocabulary = 8, width = 8, heads = 2, context = 6
  let wte: Embedding, wpe: LearnedPositions, ln1: LayerNorm, qkv: Linear, attention: CausalSelfAttention
  let projection: Linear, lnF: LayerNorm
  let store: ParameterStore

  init() throws {
    var layout = ParameterLayout()
    wte = try Embedding("wte", vocabularySize: vocabulary, features: width, layout: &layout)
    wpe = try LearnedPositions("wpe", maximumLength: context, features: width, layout: &layout)
    ln1 = try LayerNorm("h.0.ln_1", features: width, layout: &layout)
    qkv = try Linear("h.0.attn.c_attn", inputFeatures: width, outputFeatures: 3 * width, layout: &layout)
    attention = try CausalSelfAttention("h.0.attn", width: width, heads: heads)
    projection = try Linear("h.0.attn.c_proj", inputFeatures: width, outputFeatures: width, layout: &layout)
    lnF = try LayerNorm("ln_f", features: width, layout: &layout)
    store = try ParameterStore(layout: layout)
    var generator = SeededGenerator(seed: 1)
    for id in [wte.weight, wpe.weight, qkv.weight, projection.weight] {
      store.fillNormal(id, standardDeviation: 0.2, using: &generator)
    }
    ln1.initialize(store)
    lnF.initialize(store)
  }

  /// One forward and backward pass; returns the mean loss.
  func lossAndGradients(_ tokens: [Int32], _ targets: [Int32], batch: Int, workspace: Workspace) throws -> Double {
    let n = tokens.count
    let t = n / batch
    let x = workspace.matrix(rows: n, columns: width)
    try tokens.withUnsafeBufferPointer { try wte.forward($0, into: x, parameters: store) }
    try wpe.add(to: x, sequenceLength: t, parameters: store)
    let h1 = workspace.matrix(rows: n, columns: width)
    let stats1 = ln1.forward(x.readOnly, into: h1, parameters: store, workspace: workspace)
    let packed = workspace.matrix(rows: n, columns: 3 * width)
    qkv.forward(h1.readOnly, into: packed, parameters: store)
    let attended = workspace.matrix(rows: n, columns: width)
    let record = try attention.forward(qkv: packed.readOnly, batch: batch, sequenceLength: t, into: attended, workspace: workspace)
    let branch = workspace.matrix(rows: n, columns: width)
    projection.forward(attended.readOnly, into: branch, parameters: store)
    let stream = workspace.matrix(rows: n, columns: width)
    Residual.forward(x.readOnly, branch.readOnly, into: stream)
    let final = workspace.matrix(rows: n, columns: width)
    let statsF = lnF.forward(stream.readOnly, into: final, parameters: store, workspace: workspace)
    let logits = workspace.matrix(rows: n, columns: vocabulary)
    wte.outputLogits(final.readOnly, into: logits, parameters: store)
    let result = try targets.withUnsafeBufferPointer {
      try CrossEntropy().evaluate(logits: logits.readOnly, targets: $0, logitsGradient: logits, workspace: workspace)
    }
    // Backward, in reverse.
    let dFinal = workspace.matrix(rows: n, columns: width)
    wte.outputLogitsBackward(hidden: final.readOnly, logitsGradient: logits.readOnly, hiddenGradient: .overwrite(dFinal), parameters: store)
    let dStream = workspace.matrix(rows: n, columns: width)
    lnF.backward(input: stream.readOnly, statistics: statsF, outputGradient: dFinal.readOnly, inputGradient: .overwrite(dStream), parameters: store)
    let dAttended = workspace.matrix(rows: n, columns: width)
    projection.backward(input: attended.readOnly, outputGradient: dStream.readOnly, inputGradient: .overwrite(dAttended), parameters: store)
    let dPacked = workspace.matrix(rows: n, columns: 3 * width)
    try attention.backward(qkv: packed.readOnly, record: record, outputGradient: dAttended.readOnly, qkvGradient: .overwrite(dPacked), workspace: workspace)
    let dH1 = workspace.matrix(rows: n, columns: width)
    qkv.backward(input: h1.readOnly, outputGradient: dPacked.readOnly, inputGradient: .overwrite(dH1), parameters: store)
    // The stream's gradient reaches x directly and through ln_1.
    ln1.backward(input: x.readOnly, statistics: stats1, outputGradient: dH1.readOnly, inputGradient: .accumulate(dStream), parameters: store)
    try wpe.backward(outputGradient: dStream.readOnly, sequenceLength: t, parameters: store)
    tokens.withUnsafeBufferPointer { wte.backward($0, outputGradient: dStream.readOnly, parameters: store) }
    return result.loss
  }
}

@Suite("A training step wired from the layers")
struct TrainingStepTests {
  @Test func lossFallsAndSteadyStepsAllocateNothing() throws {
    let model = try TinyLanguageModel()
    // Two sequences of a deterministic pattern: next token = (token + 3) mod 8.
    let tokens: [Int32] = [0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1]
    let targets = tokens.map { ($0 + 3) % 8 }
    var optimizer = try AdamW(groups: GroupTable(learningRate: 0.05, weightDecay: 0.01))
    let schedule = try WarmupCosineSchedule(warmupSteps: 5, totalSteps: 60)
    let workspace = Workspace()
    var losses: [Double] = []
    var allocationsAfterFirstSteps = 0
    for step in 0..<60 {
      workspace.reset()
      model.store.zeroGradients()
      losses.append(try model.lossAndGradients(tokens, targets, batch: 2, workspace: workspace))
      model.store.clipGradients(maxNorm: 1)
      optimizer.update(model.store, learningRateFactor: schedule.factor(atStep: step))
      if step == 1 { allocationsAfterFirstSteps = workspace.systemAllocations }
    }
    #expect(losses[0] > 1.5, "initial loss \(losses[0]) should be near log 8 = 2.08")
    #expect(losses[59] < 0.1 * losses[0], "loss went from \(losses[0]) to \(losses[59])")
    #expect(workspace.systemAllocations == allocationsAfterFirstSteps, "steady steps took workspace blocks")
  }

  @Test func everyParameterGradientMatchesFiniteDifferencesOfTheModelLoss() throws {
    let model = try TinyLanguageModel()
    let tokens: [Int32] = [1, 5, 2, 7, 0, 3, 3, 6]
    let targets: [Int32] = [5, 2, 7, 0, -100, 6, 1, 2]
    let workspace = Workspace()
    model.store.zeroGradients()
    _ = try model.lossAndGradients(tokens, targets, batch: 2, workspace: workspace)
    let gradients = Array(UnsafeBufferPointer(start: model.store.gradients, count: model.store.layout.elementCount))
    // Spot-check a few elements of every parameter against Float central differences of the whole model.
    for slot in model.store.slots {
      let values = model.store.values + slot.offset
      for i in stride(from: 0, to: slot.count, by: max(1, slot.count / 5)) {
        let original = values[i]
        let h: Float = 1e-2
        values[i] = original + h
        workspace.reset()
        let plus = try model.lossAndGradients(tokens, targets, batch: 2, workspace: workspace)
        values[i] = original - h
        workspace.reset()
        let minus = try model.lossAndGradients(tokens, targets, batch: 2, workspace: workspace)
        values[i] = original
        let numeric = (plus - minus) / Double(2 * h)
        let analytic = Double(gradients[slot.offset + i])
        #expect(abs(numeric - analytic) < 2e-3 + 2e-2 * abs(numeric), "\(slot.name)[\(i)]: \(analytic) vs \(numeric)")
      }
    }
  }
}
