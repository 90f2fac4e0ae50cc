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
  var examplesPerBatch: Int { 2 }
}

@Suite("LoRA fine-tuning runs: initialization, training and export to the original weights")
struct LoRAFineTuningTests {
  /// Vocabulary 6, width 8, 2 heads, 1 block, context 4: linear modules 8→24, 8→8, 8→32, 32→8.
  let tiny = LanguageModelConfiguration.transformer(vocabularySize: 6, contextLength: 4, width: 8, layers: 1, heads: 2)
  let modules = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].map { "transformer.h.0.\($0)" }
  let probe: [Int32] = [1, 4, 2, 5, 0, 3, 3, 1]

  private func base() throws -> LanguageModel {
    let model = try LanguageModel(tiny)
    var generator = SeededGenerator(seed: 3)
    model.initialize(using: &generator)
    return model
  }

  private func batches() -> FixedBatches {
    var generator = SeededGenerator(seed: 11)
    return FixedBatches(batches: (0..<4).map { _ in
      Batch(
        inputs: .tokens((0..<8).map { _ in Int32(generator.nextUnit() * 6) }, sequences: 2),
        targets: (0..<8).map { _ in Int32(generator.nextUnit() * 6) })
    })
  }

  private func training(steps: Int, learningRate: Float, optimizer: TrainingConfiguration.OptimizerKind = .adamw)
    -> TrainingConfiguration
  {
    var training = TrainingConfiguration()
    training.steps = steps
    training.batchSize = 2
    training.learningRate = learningRate
    training.optimizer = optimizer
    training.warmupSteps = 0
    training.evaluationInterval = 0
    return training
  }

  private func logits(_ model: any AdaptableModel) throws -> [Double] {
    try (model as! LanguageModel).logits(for: probe, sequences: 2).scalars.map(Double.init)
  }

  /// The base's logits after merging `adapter` into its own (original) weights.
  private func mergedLogits(_ adapter: PEFTAdapter, into base: LanguageModel) throws -> [Double] {
    for module in adapter.factors.keys {
      var weight = try base.parameters.tensor(named: module + ".weight")
      try adapter.merge(into: &weight, module: module)
      try base.parameters.setValues(named: module + ".weight", to: weight)
    }
    return try logits(base)
  }

  private static func largestDifference(_ x: [Double], _ y: [Double]) -> Double {
    zip(x, y).map { abs($0 - $1) }.max() ?? 0
  }

  @Test(arguments: ["lora-ga", "pissa"])
  func weightChangingInitializationsKeepTheOutputAndExportARank2rAdapterForTheOriginalWeights(_ name: String) throws {
    let base = try base()
    let baseLogits = try logits(base)
    let plan = LoRAConfiguration(rank: 2, alpha: 4, useRSLoRA: true, targets: .pattern(".*"), seed: 1)
    let initialization = try #require(LoRAInitialization(name: name))
    let run = try LoRAFineTuning(
      base: base, configuration: plan, initialization: initialization, gradientBatches: batches(),
      gradientBatchCount: 2)
    #expect(run.targetModules == modules)
    let frozen = try run.model.parameters.tensor(named: "transformer.h.0.attn.c_attn.weight").scalars
    let original = try base.parameters.tensor(named: "transformer.h.0.attn.c_attn.weight").scalars
    #expect(Self.largestDifference(frozen.map(Double.init), original.map(Double.init)) > 1e-3, "W_frozen differs from W")
    expectClose(try logits(run.model).map(Float.init), baseLogits, tolerance: 1e-5, "\(name): output at initialization")

    let trainer = try run.makeTrainer(data: batches(), training: training(steps: 4, learningRate: 0.02))
    for _ in 0..<4 { try trainer.step() }
    let trained = try logits(run.model)
    #expect(Self.largestDifference(trained, baseLogits) > 1e-3, "training moved the output")

    let adapter = try run.exportedAdapter()
    #expect(adapter.configuration.rank == 4)
    #expect(abs(adapter.configuration.alpha - 4 * 2.0.squareRoot()) < 1e-12)
    #expect(adapter.configuration.initialization == .standard(true))
    #expect(adapter.factors.keys.sorted() == modules.sorted())
    for module in modules {
      #expect(abs(try adapter.scaling(forModule: module).scale - 4 / 2.0.squareRoot()) < 1e-12)
      #expect(adapter.factors[module]?.rank == 4)
    }
    expectClose(try mergedLogits(adapter, into: base).map(Float.init), trained, tolerance: 1e-4, "\(name): merged into W")
  }

  @Test func plainLoRAExportsTheTrainedFactorsOfRankR() throws {
    let base = try base()
    let run = try LoRAFineTuning(
      base: base, configuration: LoRAConfiguration(rank: 2, alpha: 8, targets: .pattern(".*"), seed: 2),
      initialization: .lora)
    #expect(run.initialFactors.values.allSatisfy { $0.b.scalars.allSatisfy { $0 == 0 } })
    expectClose(try logits(run.model).map(Float.init), try logits(base), tolerance: 0, "B = 0 at initialization")
    let trainer = try run.makeTrainer(data: batches(), training: training(steps: 3, learningRate: 0.02))
    for _ in 0..<3 { try trainer.step() }
    let adapter = try run.exportedAdapter()
    #expect(adapter.configuration.rank == 2 && adapter.configuration.alpha == 8)
    #expect(adapter.configuration.targetModules == .modules(modules))
    for layer in run.model.loraLayers {
      let factors = try #require(adapter.factors[layer.module])
      #expect(factors == (try layer.factors(adapter: "default", in: run.model.parameters)))
      #expect(factors.b.scalars.contains { abs($0) > 1e-4 }, "\(layer.module): B trained")
    }
    expectClose(try mergedLogits(adapter, into: base).map(Float.init), try logits(run.model), tolerance: 1e-4, "merged")
  }

  /// The step size of one SGD step on a parameter: `Σ (before − after)·g / Σ g²`.
  private func stepSize(_ store: ParameterStore, _ name: String, before: [Float]) throws -> Double {
    let after = try store.tensor(named: name).scalars
    let gradient = try store.gradientTensor(named: name).scalars
    var (dot, squares) = (0.0, 0.0)
    for i in gradient.indices {
      dot += Double(before[i] - after[i]) * Double(gradient[i])
      squares += Double(gradient[i]) * Double(gradient[i])
    }
    #expect(squares > 0, "\(name) has a gradient")
    return dot / squares
  }

  @Test(arguments: [nil, 16] as [Float?])
  func loraPlusGivesBItsRatioOfTheLearningRate(_ ratio: Float?) throws {
    // PiSSA starts both factors away from zero, so both get a gradient at the first step.
    let run = try LoRAFineTuning(
      base: try base(), configuration: LoRAConfiguration(rank: 2, targets: .modules(["c_fc"])),
      initialization: .pissa(PiSSAOptions()))
    var settings = training(steps: 1, learningRate: 0.01, optimizer: .sgd)
    settings.momentum = 0
    settings.weightDecay = 0
    settings.clipNorm = 0
    let trainer = try run.makeTrainer(data: batches(), training: settings, loraPlusRatio: ratio)
    let store = run.model.parameters
    let (a, b) = ("transformer.h.0.mlp.c_fc.lora_A.default.weight", "transformer.h.0.mlp.c_fc.lora_B.default.weight")
    let (a0, b0) = (try store.tensor(named: a).scalars, try store.tensor(named: b).scalars)
    let report = try trainer.step()
    let rate = 0.01 * Double(report.learningRateFactor)
    let (rateA, rateB) = (try stepSize(store, a, before: a0), try stepSize(store, b, before: b0))
    #expect(abs(rateA / rate - 1) < 1e-4, "A moved at \(rateA), expected \(rate)")
    #expect(abs(rateB / rate - Double(ratio ?? 1)) < 1e-3 * Double(ratio ?? 1), "B moved at \(rateB)")
  }

  @Test func badPlansAreRefusedNamingTheModule() throws {
    let base = try base()
    #expect(throws: LoRAError.invalidRank(module: "transformer.h.0.attn.c_attn", rank: 9, maximum: 8)) {
      try LoRAFineTuning(base: base, configuration: LoRAConfiguration(rank: 9, targets: .pattern(".*")), initialization: .lora)
    }
    #expect(throws: LoRAError.noTargetMatched(targets: "/q_proj/", candidates: modules)) {
      try LoRAFineTuning(base: base, configuration: LoRAConfiguration(rank: 1, targets: .pattern("q_proj")), initialization: .lora)
    }
    #expect(throws: LoRAError.missingGradient(module: modules[0], initialization: "lora-ga")) {
      try LoRAFineTuning(
        base: base, configuration: LoRAConfiguration(rank: 1, targets: .pattern(".*")),
        initialization: .loraGA(LoRAGAOptions()))
    }
  }
}
