import Foundation
import NN
import TensorCore
import TensorFiles

/// `structml train`: trains a model on built-in or `.npy` data, writing checkpoints, the configuration and
/// the loss curve into a run folder.
enum TrainCommand {
  /// The options that define a new run, which `--resume` takes from the run folder instead.
  static let definingOptions = ["model", "config", "mlp", "blocks", "data", "labels", "batch", "lr", "seed"]

  static let command = Command(
    path: ["train"],
    summary: "train a model (MLP classifier) on built-in or .npy data; checkpoints and loss curve in a run folder",
    options: [
      .value("model", "mlp", "the architecture (default mlp)"),
      .value("config", "FILE", "a JSON run configuration: any of {\"model\", \"data\", \"training\"}"),
      .value("mlp", "dense|monarch", "the kind of the hidden layers (default dense)"),
      .value("blocks", "B", "Monarch blocks of the hidden layers (default 4; with --mlp monarch)"),
      .value("data", "FILE", ".npy features, float32 examples × features (default: the built-in teacher task)"),
      .value("labels", "FILE", ".npy integer labels, one per example (with --data)"),
      .value("steps", "N", "optimizer steps (default 200; with --resume, the new total)"),
      .value("batch", "B", "examples per batch (default 64)"),
      .value("lr", "LR", "peak learning rate (default 0.003)"),
      .value("seed", "S", "seed of initialization, split and shuffles (default 0)"),
      .value("threads", "T", "BLAS threads (default: all cores for dense models, 1 with Monarch layers)"),
      .value("output", "RUN_DIR", "the run folder: model.safetensors, optimizer.safetensors, config.json, state.json, loss.json, loss.svg"),
      .value("until", "K", "stop after step K with the schedule of all --steps (continue later with --resume)"),
      .flag("resume", "continue the run in RUN_DIR from its last checkpoint"),
    ]
  ) { arguments, console in
    let output = URL(fileURLWithPath: try arguments.requiredString("output"))
    let steps = try arguments.int("steps", in: 1...100_000_000)
    let threads = try arguments.int("threads", in: 1...1024)
    let until = try arguments.int("until", in: 1...100_000_000)
    let resume = arguments.flag("resume")
    var configuration: RunConfiguration
    if resume {
      for name in definingOptions where arguments.string(name) != nil {
        throw CommandError.usage("--resume takes the run's configuration from \(output.path)/config.json; drop --\(name)")
      }
      do {
        configuration = try RunCheckpoint.readConfiguration(from: output)
      } catch {
        throw CommandError.failure("cannot resume: \(error)")
      }
      if let steps { configuration.training.steps = steps }
    } else {
      if FileManager.default.fileExists(atPath: output.appendingPathComponent(RunCheckpoint.stateFile).path) {
        throw CommandError.usage("\(output.path) already holds a run; pass --resume to continue it or choose another --output")
      }
      configuration = try newConfiguration(arguments, steps: steps)
    }
    let run = try TrainingRun.prepare(configuration, start: resume ? .resume(output) : .initialize)
    let trainer = run.trainer
    if resume && trainer.isFinished {
      throw CommandError.usage("the run in \(output.path) has taken all \(configuration.training.steps) steps; pass a larger --steps")
    }
    if let until, until <= trainer.state.step || until > configuration.training.steps {
      throw CommandError.usage(
        "option '--until' must be in \(trainer.state.step + 1)...\(configuration.training.steps) (the run is at step "
          + "\(trainer.state.step) of \(configuration.training.steps)), got \(until)")
    }
    do {
      // Create the run folder now, so that an unusable --output fails before the first step, not at the first
      // checkpoint.
      try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    } catch {
      throw CommandError.failure("cannot create the run folder \(output.path): \(error.localizedDescription)")
    }
    BLASThreads.set(threads ?? TrainingRun.defaultThreads(for: configuration.model))
    let startStep = trainer.state.step
    let startSeconds = trainer.state.seconds
    let progress = ProgressBar(console: console, total: configuration.training.steps, label: "train")
    var lastCheckpoint: Int?
    do {
      try trainer.run(
        stoppingAfter: until,
        onStep: { report in
          let state = trainer.state
          let seconds = state.seconds - startSeconds
          let rate = Double((state.step - startStep) * configuration.training.batchSize * configuration.training.accumulationSteps) / max(seconds, 1e-9)
          let left = seconds / Double(state.step - startStep) * Double(configuration.training.steps - state.step)
          progress.update(
            report.step, item: String(format: "loss %.4f  %.0f examples/s  %.0f s left", report.loss, rate, left))
        },
        checkpoint: { trainer in
          try RunCheckpoint.write(trainer, configuration: configuration, to: output)
          try LossCurve.write(trainer.state, bestPossibleLoss: trainer.bestPossibleLoss, to: output)
          lastCheckpoint = trainer.state.step
        })
    } catch {
      progress.finish()
      let kept = lastCheckpoint.map { "the checkpoint of step \($0) in \(output.path) is kept" }
        ?? (resume ? "the checkpoint of step \(startStep) in \(output.path) is kept" : "no checkpoint was written")
      throw CommandError.failure("\(error); \(kept)")
    }
    progress.finish()
    let report = summary(trainer, configuration: configuration, output: output)
    if arguments.flag("json") {
      console.print(report.serialized())
    } else {
      console.print(text(report))
    }
  }

  /// The configuration of a new run: the `--config` file's parts, then the flags over them.
  static func newConfiguration(_ arguments: ParsedArguments, steps: Int?) throws -> RunConfiguration {
    if let model = try arguments.choice("model", ["mlp"]), model != "mlp" {
      throw CommandError.usage("option '--model': \(model) is not available")
    }
    let file = try arguments.string("config").map(ConfigurationFile.read)
    var training = file?.training ?? TrainingConfiguration()
    if let steps { training.steps = steps }
    if let batch = try arguments.int("batch", in: 1...1_000_000) { training.batchSize = batch }
    if let lr = try arguments.double("lr") {
      guard lr > 0 else { throw CommandError.usage("option '--lr' must be positive, got \(lr)") }
      training.learningRate = Float(lr)
    }
    if let seed = try arguments.int("seed", in: 0...Int.max) { training.seed = UInt64(seed) }
    var data = file?.data ?? .teacher(TeacherClassificationTask(seed: training.seed))
    switch (arguments.string("data"), arguments.string("labels")) {
    case (let features?, let labels?):
      // Absolute paths, so that the run folder's config.json finds the files from any directory.
      data = .npy(features: URL(fileURLWithPath: features).path, labels: URL(fileURLWithPath: labels).path)
    case (.some, nil): throw CommandError.usage("option '--data' needs '--labels' (one integer label per example)")
    case (nil, .some): throw CommandError.usage("option '--labels' needs '--data'")
    case (nil, nil): break
    }
    var mlp: MLPConfiguration
    if case .mlp(let configured)? = file?.model {
      mlp = configured
    } else {
      let (features, classes) = try dataShape(data)
      mlp = MLPConfiguration(inputFeatures: features, hiddenFeatures: [128], classes: classes)
    }
    let kind = try arguments.choice("mlp", ["dense", "monarch"])
    let blocks = try arguments.int("blocks", in: 1...1 << 20)
    switch kind {
    case "monarch": mlp.hiddenLayers = .monarch(blocks: blocks ?? 4)
    case "dense":
      guard blocks == nil else { throw CommandError.usage("option '--blocks' needs '--mlp monarch'") }
      mlp.hiddenLayers = .dense
    default:
      if let blocks {
        guard case .monarch = mlp.hiddenLayers else { throw CommandError.usage("option '--blocks' needs '--mlp monarch'") }
        mlp.hiddenLayers = .monarch(blocks: blocks)
      }
    }
    let configuration = RunConfiguration(model: .mlp(mlp), data: data, training: training)
    do {
      try training.validate()
      _ = try configuration.model.makeModel()
    } catch {
      let flag = blocks != nil || kind == "monarch" ? "option '--blocks': " : ""
      throw CommandError.usage("\(flag)\(error)")
    }
    return configuration
  }

  /// The feature width and class count of a data source, read without loading the examples twice for the
  /// built-in task.
  static func dataShape(_ data: DataConfiguration) throws -> (features: Int, classes: Int) {
    switch data {
    case .teacher(let task): return (task.features, task.classes)
    case .npy(let features, let labels):
      do {
        let dataset = try ClassificationDataset(featuresFile: features, labelsFile: labels)
        return (dataset.featureCount, dataset.classes)
      } catch {
        throw CommandError.failure("\(error)")
      }
    }
  }

  /// The report of a finished run.
  static func summary(_ trainer: Trainer, configuration: RunConfiguration, output: URL) -> JSONValue {
    let state = trainer.state
    let initial = state.evaluations.first?.loss ?? state.trainingLosses.first
    return .object([
      ("model", .string("mlp")),
      ("parameters", .int(trainer.model.parameters.parameterCount)),
      ("initial_loss", initial.map { .number($0) } ?? .null),
      ("final_train_loss", state.trainingLosses.last.map { .number($0) } ?? .null),
      ("final_eval_loss", state.evaluations.last.map { .number($0.loss) } ?? .null),
      ("final_eval_accuracy", state.evaluations.last.map { .number($0.accuracy) } ?? .null),
      ("best_possible_loss", trainer.bestPossibleLoss.map { .number($0) } ?? .null),
      ("steps", .int(state.step)),
      ("seconds", .number(state.seconds)),
      ("tokens_per_second", .number(Double(state.examples) / max(state.seconds, 1e-9))),
      ("run_dir", .string(output.path)),
    ])
  }

  static func text(_ report: JSONValue) -> String {
    func number(_ key: String) -> String {
      if case .number(let value)? = report[key] { return String(format: "%.4f", value) }
      return "n/a"
    }
    var lines = [
      "loss \(number("initial_loss")) → train \(number("final_train_loss")), held-out \(number("final_eval_loss")) "
        + "(accuracy \(number("final_eval_accuracy")); best possible \(number("best_possible_loss")))"
    ]
    if case .integer(let steps)? = report["steps"], case .number(let seconds)? = report["seconds"],
      case .number(let rate)? = report["tokens_per_second"], case .string(let folder)? = report["run_dir"]
    {
      lines.append(String(format: "%lld steps in %.2f s (%.0f examples/s); wrote ", steps, seconds, rate) + TerminalText.escaped(folder))
    }
    return lines.joined(separator: "\n")
  }
}

/// A `--config` file: any of the parts of a ``RunConfiguration``.
private struct ConfigurationFile: Decodable {
  var model: ModelConfiguration?
  var data: DataConfiguration?
  var training: TrainingConfiguration?

  static func read(_ path: String) throws -> ConfigurationFile {
    let bytes: [UInt8]
    do {
      bytes = try ReadOnlyFile.contents(of: URL(fileURLWithPath: path), maximumBytes: RunCheckpoint.maximumJSONBytes)
    } catch {
      throw CommandError.failure("option '--config': \(error)")
    }
    do {
      return try JSONDecoder().decode(ConfigurationFile.self, from: Data(bytes))
    } catch {
      throw CommandError.usage("option '--config': \(path) is not a run configuration: \(error)")
    }
  }
}
