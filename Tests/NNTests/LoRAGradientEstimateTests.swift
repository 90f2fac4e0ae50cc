import Foundation
import NN
import TensorCore
import Testing

/// A fixed list of training batches.
private struct FixedBatches: BatchProvider {
  let batches: [Batch]
  func trainingBatch(at index: Int) -> Batch { batches[index % batches.count] }
  var evaluationBatches: [Batch] { [] }
  var bestPossibleLoss: Double? { nil }
  var examplesPerBatch: Int { 3 }
}

@Suite("The LoRA-GA gradient pass")
struct LoRAGradientEstimateTests {
  let features = 5
  let classes = 3

  private func batch(seed: UInt64) -> Batch {
    var generator = SeededGenerator(seed: seed)
    let x = Tensor<Float>(shape: [3, features], scalars: samples(3 * features, seed: seed).map(Float.init))
    return Batch(inputs: .features(x), targets: (0..<3).map { _ in Int32(generator.nextUnit() * 3) })
  }

  @Test func meanGradientOfLogisticRegressionMatchesTheClosedForm() throws {
    let model = try MLPClassifier(configuration: MLPConfiguration(inputFeatures: features, hiddenFeatures: [], classes: classes))
    var generator = SeededGenerator(seed: 1)
    model.initialize(using: &generator)
    let store = model.parameters
    store.setTrainable(false) { $0 == "output.bias" }
    let flags = store.slots.map { [$0.trainable, $0.needsGradient] }
    let values = try store.tensor(named: "output.weight")
    var batches = FixedBatches(batches: [batch(seed: 2), batch(seed: 3)])
    let gradients = try LoRAGradientEstimate.meanGradients(
      of: model, targets: .modules(["output"]), batches: &batches, batchCount: 2)
    #expect(Array(gradients.keys) == ["output"])

    // G = mean over the batches of (1/n) Σᵢ (softmax(W xᵢ + b) − e_yᵢ) xᵢᵀ, in Double.
    let w = values.scalars.map(Double.init)
    let b = try store.tensor(named: "output.bias").scalars.map(Double.init)
    var expected = [Double](repeating: 0, count: classes * features)
    for batch in batches.batches {
      guard case .features(let x) = batch.inputs else { return }
      for row in 0..<3 {
        let xi = (0..<features).map { Double(x.scalars[row * features + $0]) }
        let z = (0..<classes).map { c in b[c] + (0..<features).reduce(0.0) { $0 + w[c * features + $1] * xi[$1] } }
        let exponentials = z.map { Foundation.exp($0 - z.max()!) }
        for c in 0..<classes {
          let residual = exponentials[c] / exponentials.reduce(0, +) - (Int32(c) == batch.targets[row] ? 1 : 0)
          for j in 0..<features { expected[c * features + j] += residual * xi[j] / 3 / 2 }
        }
      }
    }
    #expect(gradients["output"]!.shape == [classes, features])
    expectClose(gradients["output"]!.scalars, expected, tolerance: 1e-6, "G")
    #expect(store.slots.map { [$0.trainable, $0.needsGradient] } == flags, "flags restored")
    #expect(try store.tensor(named: "output.weight") == values, "values unchanged")
    #expect(try store.gradientTensor(named: "output.bias").scalars.allSatisfy { $0 == 0 }, "no gradient for the bias")
  }

  @Test func languageModelGradientIsTheMeanOfTheBatchGradients() throws {
    let configuration = LanguageModelConfiguration.transformer(
      vocabularySize: 6, contextLength: 4, width: 8, layers: 1, heads: 2, dropout: 0.1)
    let model = try LanguageModel(configuration)
    var generator = SeededGenerator(seed: 4)
    model.initialize(using: &generator)
    let batches = (0..<2).map { _ in
      Batch(
        inputs: .tokens((0..<8).map { _ in Int32(generator.nextUnit() * 6) }, sequences: 2),
        targets: (0..<8).map { _ in Int32(generator.nextUnit() * 6) })
    }
    // Each batch's gradient by an ordinary training pass with everything trainable, at the same step.
    let workspace = Workspace()
    var perBatch: [[Float]] = []
    for (step, batch) in batches.enumerated() {
      model.parameters.zeroGradients()
      workspace.reset()
      _ = try model.loss(on: batch, pass: .training(step: step, gradientScale: 1), workspace: workspace)
      perBatch.append(try model.parameters.gradientTensor(named: "transformer.h.0.attn.c_attn.weight").scalars)
    }
    var provider = FixedBatches(batches: batches)
    let gradients = try LoRAGradientEstimate.meanGradients(
      of: model, targets: .modules(["c_attn", "mlp.c_fc"]), batches: &provider, batchCount: 2, workspace: workspace)
    #expect(gradients.keys.sorted() == ["transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_fc"])
    expectClose(
      gradients["transformer.h.0.attn.c_attn"]!.scalars, zip(perBatch[0], perBatch[1]).map { (Double($0) + Double($1)) / 2 },
      tolerance: 1e-6, "G of c_attn")
    #expect(try model.parameters.gradientTensor(named: "transformer.wte.weight").scalars.allSatisfy { $0 == 0 })
    #expect(model.parameters.slots.allSatisfy { $0.trainable && $0.needsGradient })
  }

  @Test func modelsItCannotEstimateAreRefused() throws {
    var batches = FixedBatches(batches: [batch(seed: 2)])
    let configuration = MLPConfiguration(inputFeatures: features, hiddenFeatures: [4], classes: classes)
    let plain = try MLPClassifier(configuration: configuration)
    #expect(throws: LoRAError.invalidBatchCount(0)) {
      try LoRAGradientEstimate.meanGradients(of: plain, targets: .modules(["output"]), batches: &batches, batchCount: 0)
    }
    #expect(throws: LoRAError.noTargetMatched(targets: "[\"fc\"]", candidates: ["hidden.0", "output"])) {
      try LoRAGradientEstimate.meanGradients(of: plain, targets: .modules(["fc"]), batches: &batches, batchCount: 1)
    }
    let adapted = try MLPClassifier(configuration: configuration, adapters: [LoRAConfiguration(rank: 1, targets: .modules(["output"]))])
    #expect(throws: LoRAError.modelHasAdapters(module: "output")) {
      try LoRAGradientEstimate.meanGradients(of: adapted, targets: .modules(["output"]), batches: &batches, batchCount: 1)
    }
    let monarch = try MLPClassifier(
      configuration: MLPConfiguration(inputFeatures: 8, hiddenFeatures: [8], classes: 3, hiddenLayers: .monarch(blocks: 2)))
    #expect(throws: LoRAError.gradientNeedsDenseWeight(module: "hidden.0")) {
      try LoRAGradientEstimate.meanGradients(of: monarch, targets: .pattern(".*"), batches: &batches, batchCount: 1)
    }
  }
}
