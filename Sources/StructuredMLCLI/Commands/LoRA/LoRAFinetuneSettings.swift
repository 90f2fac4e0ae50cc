import Foundation
import NN

/// The flags of `structml lora finetune`, checked before the base run is read: every value out of range is a
/// usage error naming its flag.
struct LoRAFinetuneSettings {
  /// The regular expression of the default `--targets`: every linear module of the model.
  static let allLinearModules = ".*"
  /// The default `--steps`.
  static let defaultSteps = 100
  /// The default `--gradient-batches` (the LoRA-GA paper's reproduction uses 8 batches).
  static let defaultGradientBatches = 8

  let initialization: LoRAInitialization
  let plan: LoRAConfiguration
  let loraPlusRatio: Float?
  let gradientBatches: Int
  let steps: Int
  let learningRate: Float?
  let batch: Int?
  let seed: UInt64?
  let threads: Int?

  /// Reads and checks the flags.
  ///
  /// - Throws: ``CommandError/usage(_:)`` naming the flag.
  init(_ arguments: ParsedArguments) throws {
    let name = try arguments.choice("init", LoRAInitialization.names)
    guard let name, let initialization = LoRAInitialization(name: name) else {
      throw CommandError.usage("missing required option '--init' (\(LoRAInitialization.names.joined(separator: "|")))")
    }
    self.initialization = initialization
    guard let rank = try arguments.int("rank", in: 1...(1 << 20)) else {
      throw CommandError.usage("missing required option '--rank'")
    }
    let alpha = try arguments.double("alpha") ?? 8
    guard alpha > 0 else { throw CommandError.usage("option '--alpha' must be positive, got \(alpha)") }
    let dropout = try arguments.double("dropout") ?? 0
    guard dropout >= 0, dropout < 1 else { throw CommandError.usage("option '--dropout' must lie in 0..<1, got \(dropout)") }
    let targets = LoRATargets.pattern(arguments.string("targets") ?? Self.allLinearModules)
    do throws(LoRAError) {
      _ = try targets.matches("")
    } catch {
      throw CommandError.usage("option '--targets': \(error.description)")
    }
    let seed = try arguments.int("seed", in: 0...Int.max).map(UInt64.init)
    self.seed = seed
    plan = LoRAConfiguration(
      rank: rank, alpha: alpha, useRSLoRA: arguments.flag("rslora"), dropout: dropout, targets: targets,
      seed: seed ?? 0)
    if let ratio = try arguments.double("loraplus-ratio") {
      guard ratio > 0 else { throw CommandError.usage("option '--loraplus-ratio' must be positive, got \(ratio)") }
      loraPlusRatio = Float(ratio)
    } else {
      loraPlusRatio = nil
    }
    let batches = try arguments.int("gradient-batches", in: 1...1_000_000)
    if batches != nil, !initialization.needsGradient {
      throw CommandError.usage("option '--gradient-batches' applies to --init lora-ga and lora-ga-peft, not \(name)")
    }
    gradientBatches = batches ?? Self.defaultGradientBatches
    steps = try arguments.int("steps", in: 1...100_000_000) ?? Self.defaultSteps
    if let lr = try arguments.double("lr") {
      guard lr > 0 else { throw CommandError.usage("option '--lr' must be positive, got \(lr)") }
      learningRate = Float(lr)
    } else {
      learningRate = nil
    }
    batch = try arguments.int("batch", in: 1...1_000_000)
    threads = try arguments.int("threads", in: 1...1024)
    if arguments.string("labels") != nil, arguments.string("data") == nil {
      throw CommandError.usage("option '--labels' needs '--data'")
    }
  }

  /// The base run's configuration with the fine-tuning's data, steps, rate, batch and seed: `--data`
  /// (`--labels` for a classifier) or the run's own data; the run's learning rate unless `--lr` is given.
  ///
  /// - Throws: ``CommandError/usage(_:)`` for `--data` or `--labels` that do not suit the base model.
  func fineTuningConfiguration(of base: RunConfiguration, arguments: ParsedArguments) throws -> RunConfiguration {
    var configuration = base
    switch (base.model, arguments.string("data"), arguments.string("labels")) {
    case (.languageModel, let file?, nil): configuration.data = .text(file: URL(fileURLWithPath: file).path)
    case (.languageModel, _, .some): throw CommandError.usage("option '--labels' is for a classifier; the base is a language model")
    case (.mlp, let features?, let labels?):
      configuration.data = .npy(features: URL(fileURLWithPath: features).path, labels: URL(fileURLWithPath: labels).path)
    case (.mlp, .some, nil): throw CommandError.usage("option '--data' needs '--labels' for a classifier base")
    case (_, nil, _): break
    }
    configuration.training.steps = steps
    if let learningRate { configuration.training.learningRate = learningRate }
    if let batch { configuration.training.batchSize = batch }
    if let seed { configuration.training.seed = seed }
    return configuration
  }
}
