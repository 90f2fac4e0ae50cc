import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// A model of `configuration` with parameters far enough from GPT-2's small initialization that every
/// gradient is large enough to check: the initialization plus normal noise of 0.3 on everything but the
/// S4D discretization and eigenvalue parameters (kept at their reference values).
private func perturbedModel(_ configuration: LanguageModelConfiguration, seed: UInt64 = 3) throws -> LanguageModel {
  let model = try LanguageModel(configuration)
  var generator = SeededGenerator(seed: seed)
  model.initialize(using: &generator)
  let kept = ["log_dt", "log_A_real", "A_imag"]
  for slot in model.parameters.slots where !kept.contains(where: { slot.name.hasSuffix($0) }) {
    let values = model.parameters.values(try model.parameters.id(of: slot.name))
    for i in values.indices { values[i] += Float(0.3 * generator.nextNormal()) }
  }
  return model
}

/// Tokens and next-token targets (a few ignored) for `sequences` sequences of `length`.
private func tokensAndTargets(vocabulary: Int, sequences: Int, length: Int, seed: UInt64) -> ([Int32], [Int32]) {
  var generator = SeededGenerator(seed: seed)
  let tokens = (0..<(sequences * length)).map { _ in Int32(generator.nextUnit() * Double(vocabulary)) }
  var targets = (0..<(sequences * length)).map { _ in Int32(generator.nextUnit() * Double(vocabulary)) }
  targets[1] = -100
  return (tokens, targets)
}

/// Every parameter's analytic gradient (spot-checked, 5 elements each) against central differences of the
/// whole model's loss in Float with step 3e-3.
private func checkGradients(
  _ configuration: LanguageModelConfiguration, sequences: Int, length: Int, pass: Pass,
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let model = try perturbedModel(configuration)
  let (tokens, targets) = tokensAndTargets(
    vocabulary: configuration.vocabularySize, sequences: sequences, length: length, seed: 11)
  let batch = Batch(inputs: .tokens(tokens, sequences: sequences), targets: targets)
  let workspace = Workspace()
  let store = model.parameters
  store.zeroGradients()
  _ = try model.loss(on: batch, pass: pass, workspace: workspace)
  let gradients = Array(UnsafeBufferPointer(start: store.gradients, count: store.layout.elementCount))
  func loss() throws -> Double {
    workspace.reset()
    // The same pass (same dropout masks), without touching the gradients under test.
    if case .training = pass {
      let saved = Array(UnsafeBufferPointer(start: store.gradients, count: store.layout.elementCount))
      defer { saved.withUnsafeBufferPointer { store.gradients.update(from: $0.baseAddress!, count: saved.count) } }
      return try model.loss(on: batch, pass: pass, workspace: workspace).loss
    }
    return try model.loss(on: batch, pass: pass, workspace: workspace).loss
  }
  var largest = 0.0
  for slot in store.slots {
    let values = store.values + slot.offset
    for i in stride(from: 0, to: slot.count, by: max(1, slot.count / 5)) {
      let original = values[i]
      let h: Float = 3e-3
      values[i] = original + h
      let plus = try loss()
      values[i] = original - h
      let minus = try loss()
      values[i] = original
      var numeric = (plus - minus) / Double(2 * h)
      if case .training(_, let scale) = pass { numeric *= Double(scale) }
      let analytic = Double(gradients[slot.offset + i])
      largest = max(largest, abs(numeric))
      #expect(
        abs(numeric - analytic) < 2e-3 + 2e-2 * abs(numeric), "\(slot.name)[\(i)]: \(analytic) vs \(numeric)",
        sourceLocation: sourceLocation)
    }
  }
  #expect(largest > 0.05, "the gradients checked are all tiny (largest \(largest))", sourceLocation: sourceLocation)
}

@Suite("Transformer and state-space language models")
struct LanguageModelTests {
  static let transformer = LanguageModelConfiguration.transformer(
    vocabularySize: 7, contextLength: 6, width: 8, layers: 2, heads: 2)

  @Test func parametersCarryNanoGPTNamesAndLayouts() throws {
    let model = try LanguageModel(Self.transformer)
    let names = model.parameters.slots.map(\.name)
    let block = [
      "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
      "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias",
    ]
    #expect(
      names == ["transformer.wte.weight", "transformer.wpe.weight"] + block.map { "transformer.h.0.\($0)" }
        + block.map { "transformer.h.1.\($0)" } + ["transformer.ln_f.weight", "transformer.ln_f.bias"])
    func shape(_ name: String) throws -> [Int] { model.parameters[try model.parameters.id(of: name)].shape }
    #expect(try shape("transformer.wte.weight") == [7, 8])
    #expect(try shape("transformer.wpe.weight") == [6, 8])
    #expect(try shape("transformer.h.1.attn.c_attn.weight") == [24, 8])
    #expect(try shape("transformer.h.1.mlp.c_fc.weight") == [32, 8])
    #expect(try shape("transformer.h.1.mlp.c_proj.weight") == [8, 32])
    let ssm = try LanguageModel(.stateSpace(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, kernel: .rtf(order: 2)))
    #expect(
      ssm.parameters.slots.map(\.name).filter { $0.contains("mixer") }
        == ["transformer.h.0.mixer.a", "transformer.h.0.mixer.b", "transformer.h.0.mixer.D",
            "transformer.h.0.mixer.out_proj.weight", "transformer.h.0.mixer.out_proj.bias"])
  }

  @Test func initializationFollowsGPT2() throws {
    let model = try LanguageModel(.transformer(vocabularySize: 64, contextLength: 8, width: 64, layers: 8, heads: 4))
    var generator = SeededGenerator(seed: 9)
    model.initialize(using: &generator)
    func standardDeviation(_ name: String) throws -> Double {
      let values = model.parameters.values(try model.parameters.id(of: name)).map(Double.init)
      let mean = values.reduce(0, +) / Double(values.count)
      return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
    }
    // 4096 samples each: the estimate's relative error is about 1/√8192 ≈ 1.1%.
    #expect(abs(try standardDeviation("transformer.h.3.attn.c_attn.weight") / 0.02 - 1) < 0.05)
    #expect(abs(try standardDeviation("transformer.wte.weight") / 0.02 - 1) < 0.05)
    #expect(abs(try standardDeviation("transformer.h.3.attn.c_proj.weight") / (0.02 / 4) - 1) < 0.05)
    #expect(abs(try standardDeviation("transformer.h.5.mlp.c_proj.weight") / (0.02 / 4) - 1) < 0.05)
    #expect(model.parameters.values(try model.parameters.id(of: "transformer.h.3.mlp.c_fc.bias")).allSatisfy { $0 == 0 })
    #expect(model.parameters.values(try model.parameters.id(of: "transformer.ln_f.weight")).allSatisfy { $0 == 1 })
  }

  @Test func transformerGradientsMatchFiniteDifferences() throws {
    try checkGradients(Self.transformer, sequences: 2, length: 5, pass: .training(step: 0, gradientScale: 1))
  }

  @Test func rotaryTransformerWithDropoutGradientsMatchFiniteDifferences() throws {
    let configuration = LanguageModelConfiguration.transformer(
      vocabularySize: 7, contextLength: 6, width: 8, layers: 1, heads: 2, positions: .rotary, dropout: 0.2,
      gelu: .none)
    try checkGradients(configuration, sequences: 2, length: 6, pass: .training(step: 4, gradientScale: 0.5))
  }

  @Test func stateSpaceGradientsMatchFiniteDifferences() throws {
    for kernel in [LongConvolution.Kernel.s4d(stateSize: 4), .rtf(order: 2)] {
      // Sequences shorter than the context: the RTF kernel's period stays the context's.
      let configuration = LanguageModelConfiguration.stateSpace(
        vocabularySize: 7, contextLength: 8, width: 6, layers: 2, kernel: kernel)
      try checkGradients(configuration, sequences: 2, length: 5, pass: .training(step: 0, gradientScale: 1))
    }
  }

  @Test func monarchFeedForwardGradientsMatchFiniteDifferences() throws {
    let transformer = LanguageModelConfiguration.transformer(
      vocabularySize: 7, contextLength: 6, width: 8, layers: 2, heads: 2, feedForwardLayers: .monarch(blocks: 2))
    let names = try LanguageModel(transformer).parameters.slots.map(\.name).filter { $0.hasPrefix("transformer.h.0.mlp") }
    #expect(
      names == ["c_fc.w1", "c_fc.w2", "c_fc.bias", "c_proj.w1", "c_proj.w2", "c_proj.bias"].map { "transformer.h.0.mlp.\($0)" })
    try checkGradients(transformer, sequences: 2, length: 5, pass: .training(step: 0, gradientScale: 1))
    let stateSpace = LanguageModelConfiguration.stateSpace(
      vocabularySize: 7, contextLength: 8, width: 8, layers: 1, kernel: .s4d(stateSize: 4),
      feedForwardLayers: .monarch(blocks: 4))
    try checkGradients(stateSpace, sequences: 2, length: 5, pass: .training(step: 0, gradientScale: 1))
  }

  @Test func monarchNormalInitializationGivesTheComposedMatrixTheDenseDeviation() throws {
    // The composed matrix, read off the forward pass of the identity, has entries of deviation σ.
    var layout = ParameterLayout()
    let layer = try MonarchLinearLayer("fc", inputFeatures: 64, outputFeatures: 256, blocks: 4, bias: true, layout: &layout)
    let store = try ParameterStore(layout: layout)
    var generator = SeededGenerator(seed: 4)
    layer.initializeNormal(store, standardDeviation: 0.02, using: &generator)
    var identity = [Float](repeating: 0, count: 64 * 64)
    for i in 0..<64 { identity[i * 64 + i] = 1 }
    var output = [Float](repeating: .nan, count: 64 * 256)
    identity.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { output in
        layer.forward(
          MatrixView(input.baseAddress!, rows: 64, columns: 64),
          into: MutableMatrixView(output.baseAddress!, rows: 64, columns: 256), parameters: store)
      }
    }
    let entries = output.map(Double.init)
    let mean = entries.reduce(0, +) / Double(entries.count)
    let deviation = (entries.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(entries.count)).squareRoot()
    // 16384 entries from 2048 factor draws: the deviation's estimate is within a few percent.
    #expect(abs(deviation / 0.02 - 1) < 0.1, "deviation \(deviation)")
    #expect(store.values(layer.bias!).allSatisfy { $0 == 0 })
  }

  @Test func monarchBlocksThatDoNotFitTheFeedForwardAreErrorsNamingTheField() throws {
    #expect(throws: TrainingError.self) {
      try LanguageModel(.transformer(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, heads: 2, feedForwardLayers: .monarch(blocks: 9)))
    }
    do {
      _ = try LanguageModel(.transformer(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, heads: 2, feedForwardLayers: .monarch(blocks: 9)))
    } catch let TrainingError.invalidMonarchLayout(layer, _) {
      #expect(layer == "configuration.feedForwardLayers (mlp.c_fc)")
    }
    let json = """
      {"vocabulary_size": 8, "context_length": 4, "width": 8, "layers": 1, "feed_forward_layers": {"type": "monarch", "blocks": 2},
       "mixer": {"attention": {"heads": 2, "normalizer": "softmax", "positions": "learned"}}}
      """
    let decoded = try JSONDecoder().decode(LanguageModelConfiguration.self, from: Data(json.utf8))
    #expect(decoded == .transformer(vocabularySize: 8, contextLength: 4, width: 8, layers: 1, heads: 2, feedForwardLayers: .monarch(blocks: 2)))
    #expect(try JSONDecoder().decode(LanguageModelConfiguration.self, from: JSONEncoder().encode(decoded)) == decoded)
  }

  @Test func cachedAndRecurrentDecodingMatchTheFullForwardAtEveryPosition() throws {
    let configurations: [LanguageModelConfiguration] = [
      Self.transformer,
      .transformer(vocabularySize: 7, contextLength: 6, width: 8, layers: 2, heads: 2, normalizer: .entmax15, positions: .rotary),
      .stateSpace(vocabularySize: 7, contextLength: 6, width: 6, layers: 2, kernel: .s4d(stateSize: 4)),
      .stateSpace(vocabularySize: 7, contextLength: 6, width: 6, layers: 2, kernel: .rtf(order: 3)),
    ]
    for configuration in configurations {
      let model = try perturbedModel(configuration)
      let (tokens, _) = tokensAndTargets(vocabulary: 7, sequences: 1, length: 6, seed: 2)
      let decoder = try LanguageModelDecoder(model)
      for length in [6, 4] {
        // The full forward of the prefix; the decoder's logits after each token must equal its rows.
        let full = try model.logits(for: Array(tokens.prefix(length)))
        decoder.reset()
        for p in 0..<length {
          let row = try decoder.append(tokens[p])
          let reference = (0..<7).map { Double(full.scalars[p * 7 + $0]) }
          expectClose(row, reference, tolerance: 2e-5, "\(configuration.mixer) length \(length) position \(p)")
        }
      }
    }
  }

  @Test func greedyGenerationFollowsTheArgmaxOfTheFullForward() throws {
    for configuration in [
      Self.transformer, .stateSpace(vocabularySize: 7, contextLength: 6, width: 6, layers: 1, kernel: .s4d(stateSize: 4)),
    ] {
      let model = try perturbedModel(configuration)
      var generator = SeededGenerator(seed: 1)
      let generated = try model.generate(prompt: [3, 1], tokens: 4, temperature: 0, using: &generator)
      var sequence: [Int32] = [3, 1]
      for _ in 0..<4 {
        let logits = try model.logits(for: sequence)
        let last = Array(logits.scalars.suffix(7))
        sequence.append(Int32(last.indices.max { last[$0] < last[$1] }!))
      }
      #expect(generated == Array(sequence.suffix(4)))
      // Top-1 sampling at any temperature is greedy too.
      #expect(try model.generate(prompt: [3, 1], tokens: 4, temperature: 2, topK: 1, using: &generator) == generated)
    }
  }

  @Test func generationRunsPastTheContext() throws {
    for configuration in [
      Self.transformer, .stateSpace(vocabularySize: 7, contextLength: 6, width: 6, layers: 1, kernel: .rtf(order: 2)),
    ] {
      let model = try perturbedModel(configuration)
      var generator = SeededGenerator(seed: 4)
      let generated = try model.generate(
        prompt: [1, 2, 3, 4, 5, 6, 0, 1], tokens: 20, temperature: 1, topK: 3, using: &generator)
      #expect(generated.count == 20)
      #expect(generated.allSatisfy { $0 >= 0 && $0 < 7 })
    }
  }

  @Test func badConfigurationsAndBatchesAreErrorsNamingTheField() throws {
    #expect(throws: TrainingError.headsDoNotDivideWidth(layer: "configuration", heads: 3, width: 8)) {
      try LanguageModel(.transformer(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, heads: 3))
    }
    #expect(throws: TrainingError.nonPositiveSize(layer: "configuration", name: "contextLength", value: 0)) {
      try LanguageModel(.transformer(vocabularySize: 7, contextLength: 0, width: 8, layers: 1, heads: 2))
    }
    #expect(throws: TrainingError.nonPositiveSize(layer: "configuration", name: "layers", value: 0)) {
      try LanguageModel(.stateSpace(vocabularySize: 7, contextLength: 6, width: 8, layers: 0))
    }
    #expect(throws: TrainingError.invalidProbability(layer: "configuration.dropout", value: 1)) {
      try LanguageModel(.transformer(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, heads: 2, dropout: 1))
    }
    #expect(throws: TrainingError.invalidValue(layer: "configuration", name: "alpha (entmax, above 1)", value: 1)) {
      try LanguageModel(.transformer(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, heads: 2, normalizer: .entmax(alpha: 1)))
    }
    #expect(throws: TrainingError.oddSize(layer: "configuration", name: "width / heads (rotary head size)", value: 3)) {
      try LanguageModel(.transformer(vocabularySize: 7, contextLength: 6, width: 6, layers: 1, heads: 2, positions: .rotary))
    }
    #expect(throws: TrainingError.invalidSize(layer: "configuration", name: "order", value: 6, requirement: "must be below contextLength 6")) {
      try LanguageModel(.stateSpace(vocabularySize: 7, contextLength: 6, width: 8, layers: 1, kernel: .rtf(order: 6)))
    }
    let model = try LanguageModel(Self.transformer)
    let workspace = Workspace()
    #expect(throws: TrainingError.tokenOutOfRange(layer: "transformer.wte", position: 2, token: 7, vocabularySize: 7)) {
      try model.loss(on: Batch(inputs: .tokens([1, 2, 7, 0], sequences: 2), targets: [0, 0, 0, 0]), pass: .evaluation, workspace: workspace)
    }
    #expect(throws: TrainingError.tokenOutOfRange(layer: "CrossEntropy", position: 3, token: -1, vocabularySize: 7)) {
      try model.loss(on: Batch(inputs: .tokens([1, 2, 3, 0], sequences: 2), targets: [0, 0, 0, -1]), pass: .evaluation, workspace: workspace)
    }
    #expect(throws: TrainingError.sequenceTooLong(layer: "LanguageModel", length: 7, maximum: 6)) {
      try model.loss(on: Batch(inputs: .tokens(Array(repeating: 1, count: 7), sequences: 1), targets: Array(repeating: 1, count: 7)), pass: .evaluation, workspace: workspace)
    }
    #expect(throws: TrainingError.self) {
      try model.loss(on: Batch(inputs: .tokens([1, 2, 3], sequences: 2), targets: [0, 0, 0]), pass: .evaluation, workspace: workspace)
    }
    var generator = SeededGenerator(seed: 0)
    #expect(throws: TrainingError.self) { try model.generate(prompt: [], tokens: 3, using: &generator) }
    #expect(throws: TrainingError.self) { try model.generate(prompt: [1], tokens: 3, temperature: -1, using: &generator) }
    #expect(throws: TrainingError.self) { try model.generate(prompt: [9], tokens: 3, using: &generator) }
  }

  @Test func configurationDecodesFromHandWrittenJSON() throws {
    let json = """
      {"vocabulary_size": 256, "context_length": 64, "width": 128, "layers": 4, "dropout": 0.1, "gelu": "none",
       "feed_forward_expansion": 4,
       "mixer": {"attention": {"heads": 4, "normalizer": {"entmax": {"alpha": 1.3}}, "positions": "rotary"}}}
      """
    let decoded = try JSONDecoder().decode(LanguageModelConfiguration.self, from: Data(json.utf8))
    #expect(
      decoded
        == .transformer(
          vocabularySize: 256, contextLength: 64, width: 128, layers: 4, heads: 4, normalizer: .entmax(alpha: 1.3),
          positions: .rotary, dropout: 0.1, gelu: .none))
    let ssm = """
      {"vocabulary_size": 256, "context_length": 64, "width": 128, "layers": 4,
       "mixer": {"long_convolution": {"kernel": {"rtf": {"order": 16}}}}}
      """
    #expect(
      try JSONDecoder().decode(LanguageModelConfiguration.self, from: Data(ssm.utf8))
        == .stateSpace(vocabularySize: 256, contextLength: 64, width: 128, layers: 4, kernel: .rtf(order: 16)))
    let softmax = """
      {"vocabulary_size": 8, "context_length": 4, "width": 8, "layers": 1,
       "mixer": {"attention": {"heads": 2, "normalizer": "sparsemax", "positions": "learned"}}}
      """
    let decodedSoftmax = try JSONDecoder().decode(LanguageModelConfiguration.self, from: Data(softmax.utf8))
    #expect(decodedSoftmax == .transformer(vocabularySize: 8, contextLength: 4, width: 8, layers: 1, heads: 2, normalizer: .sparsemax))
    // Encoding writes what decoding reads.
    for configuration in [decoded, decodedSoftmax] {
      #expect(try JSONDecoder().decode(LanguageModelConfiguration.self, from: JSONEncoder().encode(configuration)) == configuration)
    }
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(AttentionNormalizer.self, from: Data(#""fastmax""#.utf8))
    }
  }
}
