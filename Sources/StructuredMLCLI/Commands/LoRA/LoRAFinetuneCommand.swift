import Foundation
import NN
import TensorCore

/// `structml lora finetune`: fine-tunes a trained run's model with a LoRA adapter (plain LoRA, PEFT's
/// gaussian variant, LoRA-GA as its authors or as PEFT do it, or PiSSA; optionally rsLoRA and LoRA+) and writes
/// the adapter as a Hugging Face PEFT folder that applies to the run's original weights.
enum LoRAFinetuneCommand {
  /// The files of the adapter folder.
  static let adapterFiles = [PEFTAdapterConfiguration.fileName, PEFTAdapter.weightsFileName]

  static let command = Command(
    path: ["lora", "finetune"],
    summary: "fine-tune a run's model with LoRA, LoRA-GA or PiSSA (rsLoRA, LoRA+); write a PEFT adapter folder",
    options: [
      .inputFolder("base", "RUN_DIR", "the base model: a run folder written by 'structml train' (MLP or language model)", files: RunCheckpoint.files),
      .value("init", "lora|gaussian|lora-ga|lora-ga-peft|pissa", "how the adapter starts (lora-ga: the authors' LoRA-GA; lora-ga-peft: upstream PEFT's)"),
      .value("rank", "R", "the adapter rank r, 1...min(in, out) of every target"),
      .value("alpha", "A", "lora_alpha (default 8, PEFT's); the scale is A/R, or A/sqrt(R) with --rslora"),
      .flag("rslora", "scale by alpha/sqrt(r) (the LoRA-GA paper's setting)"),
      .value("dropout", "P", "dropout on the adapter input while training, in 0..<1 (default 0)"),
      .value("loraplus-ratio", "X", "LoRA+: B learns X times faster than A (16 is the usual choice; default off)"),
      .value("targets", "REGEX", "the linear modules to adapt, matching the whole module name (default '.*': every linear module)"),
      .value("gradient-batches", "N", "batches LoRA-GA's mean gradient averages over (default 8)"),
      .input("data", "FILE", "data to fine-tune on: a UTF-8 text (language model) or .npy features with --labels (MLP); default: the run's own data"),
      .input("labels", "FILE", ".npy integer labels (with --data, MLP)"),
      .value("steps", "N", "optimizer steps (default 100)"),
      .value("lr", "LR", "peak learning rate (default: the base run's, the full fine-tuning rate LoRA-GA wants)"),
      .value("batch", "B", "examples (LMs: sequences) per batch (default: the base run's)"),
      .value("seed", "S", "seed of the adapter's initialization, the shuffles and dropout (default: the base run's)"),
      .value("threads", "T", "BLAS threads (default: all cores for dense models, 1 with Monarch layers)"),
      .outputFolder(
        "output", "ADAPTER_DIR", "the PEFT adapter folder (adapter_config.json, adapter_model.safetensors), written after training",
        files: adapterFiles),
    ]
  ) { arguments, console in
    let started = ContinuousClock.now
    let folder = URL(fileURLWithPath: try arguments.requiredString("base"))
    let output = URL(fileURLWithPath: try arguments.requiredString("output"))
    let settings = try LoRAFinetuneSettings(arguments)
    let configuration: RunConfiguration
    do {
      configuration = try settings.fineTuningConfiguration(
        of: try RunCheckpoint.readConfiguration(from: folder), arguments: arguments)
    } catch let error as CommandError {
      throw error
    } catch {
      throw CommandError.failure("option '--base': \(error)")
    }
    let (base, batches) = try loadBase(configuration, from: folder)
    var plan = settings.plan
    plan.seed = configuration.training.seed
    BLASThreads.set(settings.threads ?? TrainingRun.defaultThreads(for: configuration.model))
    let fineTuning: LoRAFineTuning
    do {
      fineTuning = try LoRAFineTuning(
        base: base, configuration: plan, initialization: settings.initialization, gradientBatches: batches,
        gradientBatchCount: settings.gradientBatches, group: console.processGroup)
    } catch let error as LoRAError {
      switch error {
      case .invalidRank: throw CommandError.usage("option '--rank': \(error)")
      case .noTargetMatched: throw CommandError.usage("option '--targets': \(error)")
      case .gradientNeedsDenseWeight, .mergeUnsupported:
        throw CommandError.usage("options '--init' and '--targets': \(error); leave Monarch layers out of --targets")
      default: throw CommandError.failure("\(error)")
      }
    } catch {
      throw CommandError.failure("\(error)")
    }
    let trainer: Trainer
    do {
      trainer = try fineTuning.makeTrainer(
        data: batches, training: configuration.training, loraPlusRatio: settings.loraPlusRatio,
        group: console.processGroup)
    } catch {
      throw CommandError.failure("\(error)")
    }
    let progress = ProgressBar(console: console, total: configuration.training.steps, label: "lora")
    do {
      try trainer.run(onStep: { progress.update($0.step, item: String(format: "loss %.4f", $0.loss)) })
      progress.finish()
    } catch {
      progress.finish()
      throw CommandError.failure("\(error); nothing was written")
    }
    let adapter: PEFTAdapter
    do throws(LoRAError) {
      adapter = try fineTuning.exportedAdapter()
    } catch {
      throw CommandError.failure("\(error.description); nothing was written")
    }
    try RankAgreement.onRankZero(console.processGroup, writing: output.path) {
      try OutputPaths.write("output", of: arguments) { url, inputs in
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try adapter.save(to: url, protectedInputs: inputs)
      }
    }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let report = LoRAFinetuneReport(
      fineTuning: fineTuning, adapter: adapter, trainer: trainer, seconds: seconds, output: output)
    console.print(arguments.flag("json") ? report.json.serialized() : report.text)
  }

  /// The base model with the run's weights, and the fine-tuning batches.
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the run folder's file or the data; ``CommandError/usage(_:)``
  ///   when the run's model takes no adapters.
  static func loadBase(_ configuration: RunConfiguration, from folder: URL) throws
    -> (model: any AdaptableModel, batches: any BatchProvider)
  {
    let components: RunComponents
    do {
      components = try RunComponents(configuration)
      let state = try RunCheckpoint.readState(from: folder)
      try RunCheckpoint.load(into: components.model.parameters, from: folder, moments: false, step: state.step)
    } catch {
      throw CommandError.failure("\(error)")
    }
    guard let model = components.model as? any AdaptableModel else {
      throw CommandError.failure("option '--base': \(folder.path) holds a model without linear modules to adapt")
    }
    return (model, components.batches)
  }
}
