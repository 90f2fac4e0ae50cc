import Foundation
import NN
import TensorCore
import TensorFiles

/// `structml train`: trains a model (an MLP classifier, a Transformer or a state-space language model) on
/// built-in data, `.npy` files or a UTF-8 text, writing checkpoints, the configuration and the loss curve into
/// a run folder.
enum TrainCommand {
  /// The options that define a new run, which `--resume` takes from the run folder instead.
  static let definingOptions = [
    "model", "config", "mlp", "blocks", "normalizer", "alpha", "mixer", "width", "layers", "heads", "context", "data",
    "labels", "batch", "lr", "seed",
  ]

  static let command = Command(
    path: ["train"],
    summary: "train an MLP classifier or a Transformer / state-space LM; checkpoints and loss curve in a run folder",
    options: [
      .value("model", "mlp|transformer|ssm", "the architecture (default mlp, or the --config file's)"),
      .input("config", "FILE", "a JSON run configuration: any of {\"model\", \"data\", \"training\"}"),
      .value("mlp", "dense|monarch", "the kind of the MLP layers (hidden layers; every block's MLP of an LM; default dense)"),
      .value("blocks", "B", "Monarch blocks of those layers (default 4; with --mlp monarch)"),
      .value("normalizer", "softmax|entmax15|sparsemax|entmax", "attention's normalizer (transformer; default softmax)"),
      .value("alpha", "A", "the alpha of --normalizer entmax, above 1"),
      .value("mixer", "s4d|rtf", "the long-convolution kernel (ssm; default s4d)"),
      .value("width", "W", "the residual width (LMs; default 128)"),
      .value("layers", "L", "the blocks (LMs; default 4)"),
      .value("heads", "H", "attention heads, dividing the width (transformer; default 4)"),
      .value("context", "C", "the context length and window of a batch (LMs; default 64)"),
      .input("data", "FILE", "mlp: .npy features, float32 examples × features (default: the built-in teacher task); "
        + "LMs: a UTF-8 text as bytes (default: the built-in Markov chain)"),
      .input("labels", "FILE", ".npy integer labels, one per example (mlp, with --data)"),
      .value("steps", "N", "optimizer steps (default 200; with --resume, the new total)"),
      .value("batch", "B", "examples (LMs: sequences of the context) per batch (default 64)"),
      .value("lr", "LR", "peak learning rate (default 0.003)"),
      .value("seed", "S", "seed of initialization, split and shuffles (default 0)"),
      .value("threads", "T", "BLAS threads (default: all cores for dense models, 1 with Monarch layers)"),
      .outputFolder(
        "output", "RUN_DIR", "the run folder: model.safetensors, optimizer.safetensors, config.json, state.json, loss.json, loss.svg",
        files: RunCheckpoint.files + LossCurve.files),
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
        // Rank 0 finishes a checkpoint write left interrupted before the other ranks read the folder.
        try RankAgreement.onRankZero(console.processGroup, writing: "the interrupted checkpoint in \(output.path)") {
          _ = try RunCheckpoint.readConfiguration(from: output)
        }
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
    let run = try RankAgreement.onEveryRank(console.processGroup) {
      try TrainingRun.prepare(configuration, start: resume ? .resume(output) : .initialize, group: console.processGroup)
    }
    let trainer = run.trainer
    if resume && trainer.isFinished {
      throw CommandError.usage("the run in \(output.path) has taken all \(configuration.training.steps) steps; pass a larger --steps")
    }
    if let until, until <= trainer.state.step || until > configuration.training.steps {
      throw CommandError.usage(
        "option '--until' must be in \(trainer.state.step + 1)...\(configuration.training.steps) (the run is at step "
          + "\(trainer.state.step) of \(configuration.training.steps)), got \(until)")
    }
    // Create the run folder now, so that an unusable --output fails before the first step, not at the first
    // checkpoint.
    if console.isPrinting { _ = try OutputPaths.createFolder("output", of: arguments) }
    BLASThreads.set(threads ?? TrainingRun.defaultThreads(for: configuration.model))
    let startStep = trainer.state.step
    let startSeconds = trainer.state.seconds
    let startExamples = trainer.state.examples
    let unit = if case .languageModel = configuration.model { "tokens" } else { "examples" }
    let progress = ProgressBar(console: console, total: configuration.training.steps, label: "train")
    var lastCheckpoint: Int?
    var collectiveSeconds = 0.0
    do {
      try trainer.run(
        stoppingAfter: until,
        onStep: { report in
          collectiveSeconds += report.collectiveSeconds
          let state = trainer.state
          let seconds = state.seconds - startSeconds
          let rate = Double(state.examples - startExamples) / max(seconds, 1e-9)
          let left = seconds / Double(state.step - startStep) * Double(configuration.training.steps - state.step)
          progress.update(
            report.step, item: String(format: "loss %.4f  %.0f \(unit)/s  %.0f s left", report.loss, rate, left))
        },
        checkpoint: { trainer in
          try RankAgreement.onRankZero(console.processGroup, writing: "the checkpoint of step \(trainer.state.step)") {
            try RunCheckpoint.write(trainer, configuration: configuration, to: output)
            try LossCurve.write(trainer.state, bestPossibleLoss: trainer.bestPossibleLoss, to: output)
          }
          lastCheckpoint = trainer.state.step
        })
    } catch {
      progress.finish()
      let kept = lastCheckpoint.map { "the checkpoint of step \($0) in \(output.path) is kept" }
        ?? (resume ? "the checkpoint of step \(startStep) in \(output.path) is kept" : "no checkpoint was written")
      throw CommandError.failure("\(error); \(kept)")
    }
    progress.finish()
    let report = summary(trainer, configuration: configuration, output: output, collectiveSeconds: collectiveSeconds)
    if arguments.flag("json") {
      console.print(report.serialized())
    } else {
      console.print(text(report))
    }
  }

  /// The configuration of a new run: the `--config` file's parts, then the flags over them. Flags that do not
  /// apply to the chosen model, and sizes that do not fit, are usage errors naming the flag.
  static func newConfiguration(_ arguments: ParsedArguments, steps: Int?) throws -> RunConfiguration {
    let file = try arguments.string("config").map(ConfigurationFile.read)
    let kind = try ModelKind(arguments.choice("model", ModelKind.allCases.map(\.rawValue)), file: file?.model)
    for name in kind.refusedOptions where arguments.string(name) != nil || arguments.flag(name) {
      throw CommandError.usage("option '--\(name)' does not apply to --model \(kind.rawValue)")
    }
    var training = file?.training ?? TrainingConfiguration()
    if let steps { training.steps = steps }
    if let batch = try arguments.int("batch", in: 1...1_000_000) { training.batchSize = batch }
    if let lr = try arguments.double("lr") {
      guard lr > 0 else { throw CommandError.usage("option '--lr' must be positive, got \(lr)") }
      training.learningRate = Float(lr)
    }
    if let seed = try arguments.int("seed", in: 0...Int.max) { training.seed = UInt64(seed) }
    let linearKind = try linearLayerKind(arguments)
    let model: ModelConfiguration
    let data: DataConfiguration
    if kind == .mlp {
      (model, data) = try mlpConfiguration(arguments, file: file, seed: training.seed, linearKind: linearKind)
    } else {
      (model, data) = try languageModelConfiguration(
        arguments, kind: kind, file: file, seed: training.seed, linearKind: linearKind)
    }
    let configuration = RunConfiguration(model: model, data: data, training: training)
    do {
      try training.validate()
    } catch {
      throw CommandError.usage("\(error)")
    }
    do {
      _ = try configuration.model.makeModel()
    } catch let error as TrainingError {
      throw CommandError.usage("\(flag(for: error, arguments))\(error)")
    } catch {
      throw CommandError.usage("\(error)")
    }
    return configuration
  }

  /// The architectures of `--model`.
  enum ModelKind: String, CaseIterable {
    case mlp, transformer, ssm

    /// `--model`'s choice, else the `--config` file's model, else the MLP; a choice that contradicts the file
    /// is a usage error.
    init(_ choice: String?, file: ModelConfiguration?) throws {
      let configured: ModelKind? =
        switch file {
        case .mlp?: .mlp
        case .languageModel(let lm)?: if case .attention = lm.mixer { .transformer } else { .ssm }
        case nil: nil
        }
      let chosen = choice.flatMap(ModelKind.init(rawValue:)) ?? configured ?? .mlp
      if let configured, configured != chosen {
        throw CommandError.usage("option '--model': \(chosen.rawValue), but the --config file describes a \(configured.rawValue) model")
      }
      self = chosen
    }

    /// The options this architecture has no use for.
    var refusedOptions: [String] {
      switch self {
      case .mlp: return ["normalizer", "alpha", "mixer", "width", "layers", "heads", "context"]
      case .transformer: return ["mixer", "labels"]
      case .ssm: return ["normalizer", "alpha", "heads", "labels"]
      }
    }
  }

  /// `--mlp` and `--blocks`, or `nil` when neither is given.
  static func linearLayerKind(_ arguments: ParsedArguments) throws -> LinearLayerKind? {
    let blocks = try arguments.int("blocks", in: 1...1 << 20)
    switch try arguments.choice("mlp", ["dense", "monarch"]) {
    case "monarch": return .monarch(blocks: blocks ?? 4)
    case "dense":
      guard blocks == nil else { throw CommandError.usage("option '--blocks' needs '--mlp monarch'") }
      return .dense
    default:
      if blocks != nil { throw CommandError.usage("option '--blocks' needs '--mlp monarch'") }
      return nil
    }
  }

  /// The classifier and its data: the `--config` file's, the flags over them.
  static func mlpConfiguration(
    _ arguments: ParsedArguments, file: ConfigurationFile?, seed: UInt64, linearKind: LinearLayerKind?
  ) throws -> (ModelConfiguration, DataConfiguration) {
    var data = file?.data ?? .teacher(TeacherClassificationTask(seed: seed))
    switch (arguments.string("data"), arguments.string("labels")) {
    case (let features?, let labels?):
      // Absolute paths, so that the run folder's config.json finds the files from any directory.
      data = .npy(features: URL(fileURLWithPath: features).path, labels: URL(fileURLWithPath: labels).path)
    case (.some, nil): throw CommandError.usage("option '--data' needs '--labels' (one integer label per example)")
    case (nil, .some): throw CommandError.usage("option '--labels' needs '--data'")
    case (nil, nil): break
    }
    guard !data.holdsTokens else {
      throw CommandError.usage("option '--config': its data is token streams, which --model mlp cannot read")
    }
    var mlp: MLPConfiguration
    if case .mlp(let configured)? = file?.model {
      mlp = configured
    } else {
      let (features, classes) = try dataShape(data)
      mlp = MLPConfiguration(inputFeatures: features, hiddenFeatures: [128], classes: classes)
    }
    if let linearKind { mlp.hiddenLayers = linearKind }
    return (.mlp(mlp), data)
  }

  /// A language model and its data: the `--config` file's, the flags over them; by default the small CPU
  /// configuration (4 layers, width 128, 4 heads, context 64) on the built-in Markov chain.
  static func languageModelConfiguration(
    _ arguments: ParsedArguments, kind: ModelKind, file: ConfigurationFile?, seed: UInt64, linearKind: LinearLayerKind?
  ) throws -> (ModelConfiguration, DataConfiguration) {
    var data = file?.data ?? .markovChain(MarkovChainTask(seed: seed))
    if let path = arguments.string("data") { data = .text(file: URL(fileURLWithPath: path).path) }
    guard data.holdsTokens else {
      throw CommandError.usage("option '--config': its data is labelled features, which --model \(kind.rawValue) cannot read")
    }
    let vocabulary: Int
    switch data {
    case .markovChain(let task): vocabulary = task.symbols
    default: vocabulary = 256
    }
    var lm: LanguageModelConfiguration
    if case .languageModel(let configured)? = file?.model {
      lm = configured
    } else {
      lm =
        kind == .transformer
        ? .transformer(vocabularySize: vocabulary, contextLength: 64, width: 128, layers: 4, heads: 4)
        : .stateSpace(vocabularySize: vocabulary, contextLength: 64, width: 128, layers: 4)
    }
    if arguments.string("data") != nil { lm.vocabularySize = max(lm.vocabularySize, vocabulary) }
    if let width = try arguments.int("width", in: 1...1 << 16) { lm.width = width }
    if let layers = try arguments.int("layers", in: 1...1024) { lm.layers = layers }
    if let context = try arguments.int("context", in: 1...1 << 20) { lm.contextLength = context }
    if let linearKind { lm.feedForwardLayers = linearKind }
    switch lm.mixer {
    case .attention(let heads, let normalizer, let positions):
      lm.mixer = .attention(
        heads: try arguments.int("heads", in: 1...1 << 16) ?? heads,
        normalizer: try attentionNormalizer(arguments) ?? normalizer, positions: positions)
    case .longConvolution(let kernel):
      switch try arguments.choice("mixer", ["s4d", "rtf"]) {
      case "s4d": lm.mixer = .longConvolution(kernel: .s4d(stateSize: 64))
      case "rtf": lm.mixer = .longConvolution(kernel: .rtf(order: min(16, max(1, lm.contextLength - 1))))
      default: lm.mixer = .longConvolution(kernel: kernel)
      }
    }
    return (.languageModel(lm), data)
  }

  /// `--normalizer` and `--alpha` (only with `entmax`, which needs it), or `nil` when not given.
  static func attentionNormalizer(_ arguments: ParsedArguments) throws -> AttentionNormalizer? {
    let alpha = try arguments.double("alpha")
    let name = try arguments.choice("normalizer", ["softmax", "entmax15", "sparsemax", "entmax"])
    if alpha != nil, name != "entmax" { throw CommandError.usage("option '--alpha' needs '--normalizer entmax'") }
    switch name {
    case "softmax": return .softmax
    case "entmax15": return .entmax15
    case "sparsemax": return .sparsemax
    case "entmax":
      guard let alpha else { throw CommandError.usage("option '--normalizer entmax' needs '--alpha A' (above 1)") }
      guard alpha.isFinite, alpha > 1 else { throw CommandError.usage("option '--alpha' must be above 1, got \(alpha)") }
      return .entmax(alpha: alpha)
    default: return nil
    }
  }

  /// The flag behind a size that does not fit, as a message prefix (`option '--heads': `); the `--config`
  /// file when no flag set it.
  static func flag(for error: TrainingError, _ arguments: ParsedArguments) -> String {
    let candidates: [String]
    switch error {
    case .headsDoNotDivideWidth: candidates = ["heads", "width"]
    case .invalidMonarchLayout: candidates = ["blocks", "mlp", "width"]
    case .oddSize(_, let name, _) where name.contains("heads"): candidates = ["heads", "width"]
    case .invalidSize(_, let name, _, _) where name == "order": candidates = ["context", "mixer"]
    case .invalidValue(_, let name, _) where name.hasPrefix("alpha"): candidates = ["alpha"]
    case .nonPositiveSize(_, let name, _): candidates = [name == "contextLength" ? "context" : name]
    default: candidates = []
    }
    let given = candidates.first { arguments.string($0) != nil } ?? (arguments.string("config") != nil ? "config" : nil)
    return given.map { "option '--\($0)': " } ?? ""
  }

  /// The feature width and class count of a classification source, read without loading the examples twice
  /// for the built-in task.
  static func dataShape(_ data: DataConfiguration) throws -> (features: Int, classes: Int) {
    if case .teacher(let task) = data { return (task.features, task.classes) }
    do {
      let dataset = try data.makeClassificationDataset()
      return (dataset.featureCount, dataset.classes)
    } catch {
      throw CommandError.failure("\(error)")
    }
  }

  /// The report of a finished run; `collectiveSeconds` is the time this rank spent in the steps' collectives.
  static func summary(
    _ trainer: Trainer, configuration: RunConfiguration, output: URL, collectiveSeconds: Double
  ) -> JSONValue {
    let state = trainer.state
    let initial = state.evaluations.first?.loss ?? state.trainingLosses.first
    let model: String =
      switch configuration.model {
      case .mlp: "mlp"
      case .languageModel(let lm): if case .attention = lm.mixer { "transformer" } else { "ssm" }
      }
    return .object([
      ("model", .string(model)),
      ("parameters", .int(trainer.model.parameters.parameterCount)),
      ("initial_loss", initial.map { .number($0) } ?? .null),
      ("final_train_loss", state.trainingLosses.last.map { .number($0) } ?? .null),
      ("final_eval_loss", state.evaluations.last.map { .number($0.loss) } ?? .null),
      ("final_eval_accuracy", state.evaluations.last.map { .number($0.accuracy) } ?? .null),
      ("best_possible_loss", trainer.bestPossibleLoss.map { .number($0) } ?? .null),
      ("steps", .int(state.step)),
      ("seconds", .number(state.seconds)),
      ("tokens_per_second", .number(Double(state.examples) / max(state.seconds, 1e-9))),
      ("ranks", .int(trainer.group.size)),
      ("collective_seconds", .number(collectiveSeconds)),
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
      let unit = report["model"] == .string("mlp") ? "examples" : "tokens"
      lines.append(String(format: "%lld steps in %.2f s (%.0f \(unit)/s); wrote ", steps, seconds, rate) + TerminalText.escaped(folder))
    }
    return lines.joined(separator: "\n")
  }
}

/// A `--config` file: any of the parts of a ``RunConfiguration``.
struct ConfigurationFile: Decodable {
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
