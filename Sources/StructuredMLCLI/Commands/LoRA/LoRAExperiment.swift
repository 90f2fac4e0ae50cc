import Foundation
import NN
import TensorCore

/// The fine-tuning experiment of `structml lora experiment` and the demo: a small Transformer LM pretrained
/// on one Markov chain, then fine-tuned on a shifted chain by full fine-tuning, LoRA, LoRA-GA, PiSSA and
/// LoRA+ at equal rank and steps, each with the learning rate that the same small sweep picks for it.
///
/// The shifted chain mixes the pretraining chain half and half with a fresh one (`P = ½P₀ + ½P₁`, row by
/// row), so the pretrained model is a good start that must still move; both chains' entropy rates are
/// exact, so the best possible loss of each task is known. The target loss is the best possible loss of the
/// shifted task plus 5% of the pretrained model's gap to it, measured on the task's held-out batches. Every run is seeded and timed by steps,
/// not seconds, so the figures do not depend on the machine.
enum LoRAExperiment {
  /// The sizes of the experiment: ``standard`` for the command and the demo, smaller ones for a test.
  struct Settings {
    /// The chains' symbols (the vocabulary).
    var symbols: Int
    /// The chains' order.
    var order: Int
    /// The sharpness of both chains' transition rows.
    var sharpness: Double
    /// The tokens drawn from the pretraining chain.
    var pretrainingTokens: Int
    /// The training tokens drawn from the shifted chain.
    var fineTuningTokens: Int
    /// The held-out tokens drawn from each chain.
    var heldOutTokens: Int
    /// The model: a Transformer of this width, blocks, heads and context.
    var width: Int, layers: Int, heads: Int, context: Int
    /// Windows per step.
    var sequences: Int
    /// Pretraining steps and peak learning rate.
    var pretrainingSteps: Int, pretrainingLearningRate: Float
    /// Fine-tuning steps of every method.
    var fineTuningSteps: Int
    /// The held-out loss is measured every this many fine-tuning steps.
    var evaluationInterval: Int
    /// The adapters' rank and alpha (LoRA-GA adds rsLoRA and the stable scale, as its authors' defaults).
    var rank: Int, alpha: Double
    /// The batches LoRA-GA averages its gradient over.
    var gradientBatches: Int
    /// LoRA+'s learning-rate ratio of B over A.
    var loraPlusRatio: Float
    /// The learning rates every method is swept over.
    var learningRates: [Float]
    /// The seed of everything.
    var seed: UInt64

    /// The command's and the demo's sizes: a few seconds per method in a release build on 2 cores.
    static let standard = Settings(
      symbols: 16, order: 1, sharpness: 2, pretrainingTokens: 65_536, fineTuningTokens: 32_768, heldOutTokens: 8_193,
      width: 64, layers: 2, heads: 2, context: 32, sequences: 16, pretrainingSteps: 300, pretrainingLearningRate: 1e-2,
      fineTuningSteps: 100, evaluationInterval: 4, rank: 4, alpha: 8, gradientBatches: 8, loraPlusRatio: 16,
      learningRates: [3e-3, 1e-2, 3e-2], seed: 7)
  }

  /// The fine-tuning methods, in report order, under their JSON names.
  enum Method: String, CaseIterable {
    case full, lora, loraGA = "lora-ga", pissa, loraPlus = "loraplus"

    /// The name in the report's table and charts.
    var title: String {
      switch self {
      case .full: return "full fine-tuning"
      case .lora: return "LoRA"
      case .loraGA: return "LoRA-GA"
      case .pissa: return "PiSSA"
      case .loraPlus: return "LoRA+"
      }
    }
  }

  /// One fine-tuning run: the held-out loss before the first step and every evaluation interval.
  struct Curve {
    var learningRate: Float
    /// `(steps taken, held-out loss)`.
    var points: [(step: Int, loss: Double)]
    var finalLoss: Double { points.last!.loss }

    /// The first evaluated step at which the held-out loss is at most `target`, or `nil`.
    func stepsToReach(_ target: Double) -> Int? { points.first { $0.loss <= target }?.step }
  }

  /// A method's swept runs and the one the sweep picked (lowest final held-out loss).
  struct MethodResult {
    var method: Method
    var sweep: [Curve]
    var chosen: Curve { sweep.min { $0.finalLoss < $1.finalLoss }! }
    var trainableParameters: Int
  }

  /// The whole experiment's result.
  struct Result {
    var settings: Settings
    var pretrainedLossOnTask: Double
    var bestPossibleLoss: Double
    var targetLoss: Double
    var methods: [MethodResult]
  }

  /// The linear modules every adapter targets: attention's `c_attn` and `c_proj` and the MLP's.
  static let targets = LoRATargets.modules(["c_attn", "c_proj", "c_fc"])

  /// Runs the experiment.
  ///
  /// - Parameter progress: Called with a line before each method.
  /// - Throws: A training, data or LoRA error (none for the built-in settings).
  static func run(_ settings: Settings, progress: (String) -> Void = { _ in }) throws -> Result {
    var generator = SeededGenerator(seed: settings.seed)
    let base = try MarkovChain(
      symbols: settings.symbols, order: settings.order, sharpness: settings.sharpness, using: &generator)
    let fresh = try MarkovChain(
      symbols: settings.symbols, order: settings.order, sharpness: settings.sharpness, using: &generator)
    let shifted = try MarkovChain(
      symbols: settings.symbols, order: settings.order,
      transitions: zip(base.transitions, fresh.transitions).map { 0.5 * $0 + 0.5 * $1 })
    let pretrainingData = TokenDataset.markovChain(
      base, trainingTokens: settings.pretrainingTokens, heldOutTokens: settings.heldOutTokens, using: &generator)
    let taskData = TokenDataset.markovChain(
      shifted, trainingTokens: settings.fineTuningTokens, heldOutTokens: settings.heldOutTokens, using: &generator)
    let configuration = LanguageModelConfiguration.transformer(
      vocabularySize: settings.symbols, contextLength: settings.context, width: settings.width,
      layers: settings.layers, heads: settings.heads)

    progress("pretraining on the first chain (\(settings.pretrainingSteps) steps)")
    let pretrained = try LanguageModel(configuration)
    pretrained.initialize(using: &generator)
    let pretrainingBatches = LanguageModelBatches(
      try TokenBatches(
        dataset: pretrainingData, sequences: settings.sequences, sequenceLength: settings.context, seed: settings.seed))
    _ = try train(
      pretrained, batches: pretrainingBatches, groups: GroupTable(learningRate: settings.pretrainingLearningRate, weightDecay: 0),
      steps: settings.pretrainingSteps, interval: settings.pretrainingSteps, seed: settings.seed)

    let taskBatches = LanguageModelBatches(
      try TokenBatches(
        dataset: taskData, sequences: settings.sequences, sequenceLength: settings.context, seed: settings.seed + 1))

    var methods: [MethodResult] = []
    for method in Method.allCases {
      progress("\(method.title): \(settings.learningRates.count) learning rates × \(settings.fineTuningSteps) steps")
      var sweep: [Curve] = []
      var trainable = 0
      for learningRate in settings.learningRates {
        let (model, groups) = try prepare(method, from: pretrained, learningRate: learningRate, settings, taskBatches)
        trainable = model.parameters.trainableParameterCount
        let points = try train(
          model, batches: taskBatches, groups: groups, steps: settings.fineTuningSteps,
          interval: settings.evaluationInterval, seed: settings.seed)
        sweep.append(Curve(learningRate: learningRate, points: points))
      }
      methods.append(MethodResult(method: method, sweep: sweep, trainableParameters: trainable))
    }
    // Every curve starts from the pretrained weights with the output unchanged, so its first point is the
    // pretrained model's held-out loss on the task.
    let pretrainedLoss = methods[0].sweep[0].points[0].loss
    let best = shifted.bestPossibleLoss(sequenceLength: settings.context)
    let target = best + 0.05 * (pretrainedLoss - best)
    return Result(
      settings: settings, pretrainedLossOnTask: pretrainedLoss, bestPossibleLoss: best, targetLoss: target,
      methods: methods)
  }

  /// The model a method fine-tunes, starting from the pretrained weights, and its optimizer groups.
  private static func prepare(
    _ method: Method, from pretrained: LanguageModel, learningRate: Float, _ settings: Settings,
    _ batches: LanguageModelBatches
  ) throws -> (any TrainableModel, GroupTable) {
    let plain = GroupTable(learningRate: learningRate, weightDecay: 0)
    if method == .full {
      let model = try LanguageModel(pretrained.configuration)
      try model.parameters.copyValues(from: pretrained.parameters)
      return (model, plain)
    }
    let initialization: LoRAInitialization
    var scaling = try LoRAScaling(rank: settings.rank, alpha: settings.alpha)
    switch method {
    case .loraGA:
      initialization = .loraGA(LoRAGAOptions())
      scaling.useRSLoRA = true
    case .pissa: initialization = .pissa(PiSSAOptions(svd: .exact))
    case .full, .lora, .loraPlus: initialization = .lora
    }
    let plan = LoRAConfiguration(
      rank: scaling.rank, alpha: scaling.alpha, useRSLoRA: scaling.useRSLoRA, targets: targets, seed: settings.seed)
    let model = try LoRAFineTuning(
      base: pretrained, configuration: plan, initialization: initialization, gradientBatches: batches,
      gradientBatchCount: settings.gradientBatches
    ).model
    let groups =
      method == .loraPlus
      ? try LoRAPlus.groupTable(assigningGroupsIn: model.parameters, learningRate: learningRate, ratio: settings.loraPlusRatio)
      : plain
    return (model, groups)
  }

  /// Trains `model` through ``Trainer`` for `steps` AdamW steps (warmup 5%, cosine to 10%, clipping at 1, no
  /// weight decay), with the held-out loss before the first step, every `interval` steps and at the end. A run
  /// that diverges ends its curve with an infinite loss, so the sweep never picks it.
  private static func train(
    _ model: any TrainableModel, batches: LanguageModelBatches, groups: GroupTable, steps: Int, interval: Int,
    seed: UInt64
  ) throws -> [(step: Int, loss: Double)] {
    var training = TrainingConfiguration()
    training.steps = steps
    training.warmupSteps = max(1, steps / 20)
    training.learningRate = groups.defaults.learningRate
    training.weightDecay = 0
    training.evaluationInterval = interval
    training.checkpointInterval = 0
    training.seed = seed
    let trainer = try Trainer(model: model, data: batches, configuration: training, groups: groups)
    do {
      try trainer.run()
    } catch let error as TrainerError {
      switch error {
      case .nonFiniteLoss, .nonFiniteGradient:
        return trainer.state.evaluations.map { ($0.step, $0.loss) } + [(trainer.state.step + 1, .infinity)]
      default: throw error
      }
    }
    return trainer.state.evaluations.map { ($0.step, $0.loss) }
  }
}
