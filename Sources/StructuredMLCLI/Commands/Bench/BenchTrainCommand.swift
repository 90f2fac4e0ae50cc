import Foundation
import NN
import TensorCore

/// `structml bench train`: the training step of the MLP 1024 → 4096 → 1024 (batch 512) with dense layers
/// and with Monarch layers at 4 and 16 blocks, in one run, timed warm and interleaved.
enum BenchTrainCommand {
  static let command = Command(
    path: ["bench", "train"],
    summary: "training-step time of the MLP 1024 -> 4096 -> 1024 (batch 512): dense vs Monarch at 4 and 16 blocks",
    options: [
      .value("width", "N", "input and output width (default 1024; the hidden width is 4N)"),
      .value("batch", "B", "examples per step (default 512)"),
      .value("rounds", "R", "interleaved rounds, one warm step per variant each (default 5)"),
      .value("activation", "gelu|relu", "the hidden nonlinearity (default gelu)"),
    ]
  ) { arguments, console in
    let width = try arguments.int("width", default: 1024, in: 16...8192)!
    let batch = try arguments.int("batch", default: 512, in: 1...65536)!
    let rounds = try arguments.int("rounds", default: 5, in: 1...101)!
    let activation = MLPConfiguration.Activation(
      rawValue: try arguments.choice("activation", MLPConfiguration.Activation.allCases.map(\.rawValue), default: "gelu")!)!
    let variants: [(name: String, kind: LinearLayerKind)] = [
      ("dense", .dense), ("monarch", .monarch(blocks: 4)), ("monarch16", .monarch(blocks: 16)),
    ]
    var steppers: [Stepper] = []
    for variant in variants {
      do {
        steppers.append(try Stepper(kind: variant.kind, activation: activation, width: width, batch: batch))
      } catch {
        throw CommandError.usage("option '--width': \(variant.name): \(error)")
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
    if arguments.flag("json") {
      console.print(JSONValue.object(members).serialized())
    } else {
      console.print("MLP \(width) -> \(4 * width) -> \(width), batch \(batch), best of \(rounds) warm steps (AdamW, clipping)")
      for (index, variant) in variants.enumerated() {
        console.print(
          "  " + variant.name.padding(toLength: 10, withPad: " ", startingAt: 0)
            + String(
              format: " %8.4f s/step  %5.3fx dense  (%d BLAS thread(s), %d parameters)", seconds[index],
              seconds[index] / seconds[0], policies[chosen[index]], steppers[index].trainer.model.parameters.parameterCount))
      }
    }
  }

  /// One variant's model and trainer on a fixed random batch.
  final class Stepper {
    let trainer: Trainer

    init(kind: LinearLayerKind, activation: MLPConfiguration.Activation, width: Int, batch: Int) throws {
      let configuration = MLPConfiguration(
        inputFeatures: width, hiddenFeatures: [4 * width], classes: width, activation: activation, hiddenLayers: kind,
        outputLayer: kind)
      let model = try MLPClassifier(configuration: configuration)
      var generator = SeededGenerator(seed: 1)
      model.initialize(using: &generator)
      var training = TrainingConfiguration()
      training.steps = Int.max / 2
      training.batchSize = batch
      let features = Tensor<Float>.normal(shape: [batch, width], using: &generator)
      let targets = (0..<batch).map { _ in Int32(generator.next() % UInt64(width)) }
      trainer = try Trainer(
        model: model, data: FixedBatch(batch: Batch(inputs: .features(features), targets: targets)),
        configuration: training)
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
