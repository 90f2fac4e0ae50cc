import Foundation
import NN
import TensorCore

/// `structml bench train`: the training step of the MLP 1024 → 4096 → 1024 (batch 512) with dense layers
/// and with Monarch layers at 4 and 16 blocks, and of the small CPU Transformer LM (4 layers, 4 heads, width
/// 128, context 64, batch 12, bytes) with dense and 4-block Monarch MLPs, in one run, timed warm and
/// interleaved.
enum BenchTrainCommand {
  static let command = Command(
    path: ["bench", "train"],
    summary: "training-step time of the MLP 1024 -> 4096 -> 1024 (dense, Monarch 4 and 16 blocks) and the small Transformer LM (dense, Monarch MLPs)",
    options: [
      .value("width", "N", "MLP input and output width (default 1024; the hidden width is 4N)"),
      .value("batch", "B", "MLP examples per step (default 512)"),
      .value("lm-width", "N", "the LM's width (default 128; 4 layers, 4 heads, context 64, batch 12)"),
      .value("rounds", "R", "interleaved rounds, one warm step per variant each (default 5)"),
      .value("activation", "gelu|relu", "the hidden nonlinearity (default gelu)"),
    ]
  ) { arguments, console in
    let width = try arguments.int("width", default: 1024, in: 16...8192)!
    let batch = try arguments.int("batch", default: 512, in: 1...65536)!
    let lmWidth = try arguments.int("lm-width", default: 128, in: 16...4096)!
    let rounds = try arguments.int("rounds", default: 5, in: 1...101)!
    let activation = MLPConfiguration.Activation(
      rawValue: try arguments.choice("activation", MLPConfiguration.Activation.allCases.map(\.rawValue), default: "gelu")!)!
    let variants: [(name: String, kind: LinearLayerKind, languageModel: Bool)] = [
      ("dense", .dense, false), ("monarch", .monarch(blocks: 4), false), ("monarch16", .monarch(blocks: 16), false),
      ("lm_dense", .dense, true), ("lm_monarch", .monarch(blocks: 4), true),
    ]
    var steppers: [Stepper] = []
    for variant in variants {
      do {
        steppers.append(
          variant.languageModel
            ? try Stepper(languageModelWidth: lmWidth, feedForward: variant.kind)
            : try Stepper(kind: variant.kind, activation: activation, width: width, batch: batch))
      } catch {
        throw CommandError.usage("option '--\(variant.languageModel ? "lm-width" : "width")': \(variant.name): \(error)")
      }
    }
    // Each variant runs under both thread policies; the faster one is reported (dense GEMMs want every core
    // in BLAS, Monarch blocks run on every core through parallelFor around single-threaded BLAS).
    let policies = Array(Set([1, processorCount])).sorted()
    var best = [[Double]](repeating: [Double](repeating: .infinity, count: policies.count), count: variants.count)
    for (index, stepper) in steppers.enumerated() {
      for (p, threads) in policies.enumerated() {
        BLASThreads.set(threads)
        stepper.step()  // warm-up: workspace blocks, BLAS buffers
        best[index][p] = stepper.time()
      }
    }
    for _ in 1..<rounds {
      for (index, stepper) in steppers.enumerated() {
        for (p, threads) in policies.enumerated() {
          BLASThreads.set(threads)
          best[index][p] = min(best[index][p], stepper.time())
        }
      }
    }
    if let failed = steppers.firstIndex(where: { $0.failure != nil }), let failure = steppers[failed].failure {
      throw CommandError.failure("\(variants[failed].name): \(failure)")
    }
    let chosen = best.map { row in row.indices.min { row[$0] < row[$1] }! }
    let seconds = zip(best, chosen).map { $0[$1] }
    var members: [(String, JSONValue)] = [
      ("width", .int(width)), ("hidden", .int(4 * width)), ("batch", .int(batch)), ("rounds", .int(rounds)),
      ("activation", .string(activation.rawValue)),
    ]
    for (index, variant) in variants.enumerated() {
      members.append(("\(variant.name)_step_seconds", .number(seconds[index])))
      members.append(("\(variant.name)_blas_threads", .int(policies[chosen[index]])))
      members.append(("\(variant.name)_parameters", .int(steppers[index].trainer.model.parameters.parameterCount)))
    }
    members.append(("monarch_ratio", .number(seconds[1] / seconds[0])))
    members.append(("monarch16_ratio", .number(seconds[2] / seconds[0])))
    members.append(("lm_width", .int(lmWidth)))
    members.append(("lm_monarch_ratio", .number(seconds[4] / seconds[3])))
    if arguments.flag("json") {
      console.print(JSONValue.object(members).serialized())
    } else {
      console.print("MLP \(width) -> \(4 * width) -> \(width), batch \(batch), best of \(rounds) warm steps (AdamW, clipping)")
      for (index, variant) in variants.enumerated() {
        if index == 3 {
          console.print("Transformer LM: 4 layers, 4 heads, width \(lmWidth), context 64, batch 12, bytes (Monarch MLPs: 4 blocks)")
        }
        let baseline = seconds[variant.languageModel ? 3 : 0]
        console.print(
          "  " + variant.name.padding(toLength: 10, withPad: " ", startingAt: 0)
            + String(
              format: " %8.4f s/step  %5.3fx dense  (%d BLAS thread(s), %d parameters)", seconds[index],
              seconds[index] / baseline, policies[chosen[index]], steppers[index].trainer.model.parameters.parameterCount))
      }
    }
  }

  /// One variant's model and trainer on a fixed random batch.
  final class Stepper {
    let trainer: Trainer

    /// The MLP `width → 4·width → width` with both layers of `kind`.
    convenience init(kind: LinearLayerKind, activation: MLPConfiguration.Activation, width: Int, batch: Int) throws {
      let configuration = MLPConfiguration(
        inputFeatures: width, hiddenFeatures: [4 * width], classes: width, activation: activation, hiddenLayers: kind,
        outputLayer: kind)
      var generator = SeededGenerator(seed: 1)
      let features = Tensor<Float>.normal(shape: [batch, width], using: &generator)
      let targets = (0..<batch).map { _ in Int32(generator.next() % UInt64(width)) }
      try self.init(
        model: try MLPClassifier(configuration: configuration),
        batch: Batch(inputs: .features(features), targets: targets), batchSize: batch)
    }

    /// The small CPU Transformer LM at `width` with MLPs of `feedForward`, on 12 random byte sequences of 64.
    convenience init(languageModelWidth width: Int, feedForward: LinearLayerKind) throws {
      let (sequences, context) = (12, 64)
      let configuration = LanguageModelConfiguration.transformer(
        vocabularySize: 256, contextLength: context, width: width, layers: 4, heads: 4, feedForwardLayers: feedForward)
      var generator = SeededGenerator(seed: 1)
      let tokens = (0..<(sequences * context + 1)).map { _ in Int32(generator.next() % 256) }
      try self.init(
        model: try LanguageModel(configuration),
        batch: Batch(
          inputs: .tokens(Array(tokens.dropLast()), sequences: sequences), targets: Array(tokens.dropFirst())),
        batchSize: sequences)
    }

    private init(model: any TrainableModel, batch: Batch, batchSize: Int) throws {
      var generator = SeededGenerator(seed: 1)
      model.initialize(using: &generator)
      var training = TrainingConfiguration()
      training.steps = Int.max / 2
      training.batchSize = batchSize
      trainer = try Trainer(model: model, data: FixedBatch(batch: batch), configuration: training)
    }

    /// The first error a step threw (a benchmark reports it instead of a time).
    private(set) var failure: TrainerError?

    func step() {
      do { try trainer.step() } catch { failure = failure ?? error }
    }

    /// The seconds of one step.
    func time() -> Double { BenchmarkTimer.median(warmup: 0, samples: 1) { step() } }
  }

  /// The same batch at every index.
  struct FixedBatch: BatchProvider {
    let batch: Batch
    mutating func trainingBatch(at index: Int) -> Batch { batch }
    var evaluationBatches: [Batch] { [] }
    var bestPossibleLoss: Double? { nil }
    var examplesPerBatch: Int { batch.targets.count }
  }
}
