import Dispatch
import Foundation
import NN
import TensorCore

/// The demo section of the training stack: held-out loss against steps and against seconds, next to the
/// best possible loss of the built-in data, for (a) dense and Monarch hidden layers in the MLP classifier on
/// the teacher task, at equal steps and at equal wall time, and (b, c) softmax and 1.5-entmax attention in a
/// Transformer LM and an S4D state-space LM on one Markov chain.
///
/// Every run is seeded; the seconds count only training steps (evaluations are not timed), so the step counts
/// of the equal-time comparison, and every time, depend on the machine and its load.
enum TrainingDemo {
  /// The file names of the section's charts.
  static let chartFiles = (
    classifierSteps: "training-mlp-steps.svg", classifierSeconds: "training-mlp-seconds.svg",
    languageSteps: "training-lm-steps.svg", languageSeconds: "training-lm-seconds.svg"
  )

  /// The sizes of the experiments: ``demo`` for the report, smaller ones for a test in a debug build.
  struct Settings {
    /// The teacher task of the classifier experiment.
    var teacher: TeacherClassificationTask
    /// The hidden widths of the classifier.
    var hidden: [Int]
    /// The Monarch block counts compared with the dense classifier.
    var monarchBlocks: [Int]
    /// The classifier's examples per step.
    var classifierBatch: Int
    /// The classifier's steps at equal steps; at equal time the faster variants continue, to at most
    /// ``maximumStepFactor`` times this.
    var classifierSteps: Int
    /// The symbols of the language-model experiment's Markov chain.
    var symbols: Int
    /// The chain's order: the past symbols the next one depends on.
    var order: Int
    /// The training tokens drawn from the chain.
    var trainingTokens: Int
    /// The held-out tokens drawn from the chain.
    var heldOutTokens: Int
    /// The language models' context length (the tokens of a training window).
    var context: Int
    /// The language models' width.
    var width: Int
    /// The language models' blocks.
    var layers: Int
    /// The Transformers' attention heads.
    var heads: Int
    /// The S4D state size of the state-space LM.
    var stateSize: Int
    /// The language models' windows per step.
    var sequences: Int
    /// The language models' steps.
    var languageSteps: Int
    /// The held-out evaluations over the common steps of each run, besides the one before the first step (a
    /// classifier that continues keeps the same interval).
    var evaluations: Int
    /// How far past ``classifierSteps`` a faster classifier may continue to reach the slowest one's time.
    var maximumStepFactor = 4

    /// The report's experiments: about 10 s in a release build on 2 cores.
    static let demo = Settings(
      teacher: TeacherClassificationTask(examples: 16384, features: 64, classes: 10, teacherHidden: 64, scale: 4, seed: 21),
      hidden: [512, 512], monarchBlocks: [4, 16], classifierBatch: 64, classifierSteps: 150,
      symbols: 8, order: 2, trainingTokens: 60_000, heldOutTokens: 4_097, context: 16, width: 32, layers: 2, heads: 2,
      stateSize: 16, sequences: 16, languageSteps: 300, evaluations: 6)
  }

  /// The peak learning rate of the classifiers.
  static let classifierLearningRate: Float = 3e-3
  /// The peak learning rate of the language models.
  static let languageLearningRate: Float = 2e-2
  /// The share of the teacher task's examples held out.
  static let classifierHeldOutFraction = 1.0 / 16

  /// One held-out evaluation of a run.
  struct Point {
    /// The steps taken.
    var step: Int
    /// The seconds spent in those steps.
    var seconds: Double
    /// The mean held-out loss, in nats.
    var loss: Double
  }

  /// The held-out loss curve of one run.
  struct Curve {
    /// The model, as the tables and legends name it.
    var name: String
    /// The model's parameter count.
    var parameters: Int
    /// The BLAS threads its steps ran with.
    var blasThreads: Int
    /// Every evaluation, the first one before any step.
    var points: [Point]

    /// The last evaluation at or before `step`.
    func point(atStep step: Int) -> Point { points.last { $0.step <= step } ?? points[0] }
    /// The mean seconds per step over the whole run.
    var secondsPerStep: Double { points.last!.seconds / Double(max(points.last!.step, 1)) }
  }

  /// The outcome of one experiment: curves on one data set with its best and uniform-prediction losses.
  struct Experiment {
    /// One curve per model, in the order the tables list them.
    var curves: [Curve]
    /// The expected held-out loss of the best possible model.
    var bestPossibleLoss: Double
    /// The loss of predicting every class or symbol with equal probability, `log(classes)`.
    var uniformLoss: Double
  }

  /// The report's section at the demo's sizes.
  static func section() throws -> DemoReport.Section { try section(.demo) }

  /// Runs both experiments of `settings` and writes the section.
  static func section(_ settings: Settings) throws -> DemoReport.Section {
    let (classifier, language) = try measure(settings)
    return report(classifier: classifier, language: language, settings: settings)
  }

  /// Runs the classifier experiment and the language-model experiment, restoring the BLAS threads after.
  static func measure(_ settings: Settings) throws -> (classifier: Experiment, language: Experiment) {
    let previousThreads = BLASThreads.current
    defer { BLASThreads.set(previousThreads) }
    return (try classifierExperiment(settings), try languageExperiment(settings))
  }

  /// Dense against Monarch hidden layers: every variant for the same steps, then the faster ones on until
  /// their step time reaches the slowest one's (at most ``Settings/maximumStepFactor`` times the steps).
  static func classifierExperiment(_ settings: Settings) throws -> Experiment {
    var training = trainingConfiguration(steps: settings.classifierSteps * settings.maximumStepFactor, seed: 5)
    training.batchSize = settings.classifierBatch
    training.heldOutFraction = classifierHeldOutFraction
    // The batches `structml train` makes of the same task, drawn once; every variant trains on a copy.
    let batches = try DataConfiguration.teacher(settings.teacher).makeClassificationBatches(
      batchSize: training.batchSize, heldOutFraction: training.heldOutFraction, seed: training.seed)
    let kinds = [LinearLayerKind.dense] + settings.monarchBlocks.map { .monarch(blocks: $0) }
    let runs = try kinds.map { kind in
      let configuration = MLPConfiguration(
        inputFeatures: settings.teacher.features, hiddenFeatures: settings.hidden, classes: settings.teacher.classes,
        hiddenLayers: kind)
      return try Run(
        name: kind.description, model: try MLPClassifier(configuration: configuration), data: batches,
        training: training, threads: TrainingRun.defaultThreads(for: .mlp(configuration)))
    }
    let interval = max(1, settings.classifierSteps / settings.evaluations)
    try interleave(runs, toStep: settings.classifierSteps, evaluatingEvery: interval)
    let slowest = runs.map(\.seconds).max() ?? 0
    let last = settings.classifierSteps * settings.maximumStepFactor
    while runs.contains(where: { $0.seconds < slowest && $0.trainer.state.step < last }) {
      for run in runs {
        let stop = min((run.trainer.state.step / interval + 1) * interval, last)
        try run.advance(untilSeconds: slowest, maximumStep: stop, evaluatingEvery: interval)
      }
    }
    return Experiment(
      curves: runs.map(\.curve), bestPossibleLoss: batches.bestPossibleLoss ?? .nan, uniformLoss: Foundation.log(Double(settings.teacher.classes)))
  }

  /// Softmax and 1.5-entmax Transformers, a Transformer with Monarch MLPs and an S4D state-space LM on the same
  /// chain, for the same steps.
  static func languageExperiment(_ settings: Settings) throws -> Experiment {
    var generator = SeededGenerator(seed: 17)
    let chain = try MarkovChain(symbols: settings.symbols, order: settings.order, sharpness: 2, using: &generator)
    let dataset = TokenDataset.markovChain(
      chain, trainingTokens: settings.trainingTokens, heldOutTokens: settings.heldOutTokens, using: &generator)
    let batches = try TokenBatches(
      dataset: dataset, sequences: settings.sequences, sequenceLength: settings.context, seed: 3)
    let data = LanguageModelBatches(batches)
    var training = trainingConfiguration(steps: settings.languageSteps, seed: 9)
    training.learningRate = languageLearningRate
    let (v, t, w, l) = (settings.symbols, settings.context, settings.width, settings.layers)
    let models: [(String, LanguageModelConfiguration)] = [
      ("Transformer, softmax", .transformer(vocabularySize: v, contextLength: t, width: w, layers: l, heads: settings.heads)),
      (
        "Transformer, 1.5-entmax",
        .transformer(vocabularySize: v, contextLength: t, width: w, layers: l, heads: settings.heads, normalizer: .entmax15)
      ),
      (
        "Transformer, Monarch MLP (4 blocks)",
        .transformer(
          vocabularySize: v, contextLength: t, width: w, layers: l, heads: settings.heads,
          feedForwardLayers: .monarch(blocks: 4))
      ),
      (
        "state space, S4D",
        .stateSpace(vocabularySize: v, contextLength: t, width: w, layers: l, kernel: .s4d(stateSize: settings.stateSize))
      ),
    ]
    let runs = try models.map { name, configuration in
      try Run(name: name, model: try LanguageModel(configuration), data: data, training: training, threads: 1)
    }
    try interleave(runs, toStep: settings.languageSteps, evaluatingEvery: max(1, settings.languageSteps / settings.evaluations))
    return Experiment(
      curves: runs.map(\.curve), bestPossibleLoss: data.bestPossibleLoss ?? .nan, uniformLoss: Foundation.log(Double(settings.symbols)))
  }

  /// Advances every run to `step`, `interval` steps at a time in turn, so that a change in the machine's load
  /// falls on all of them alike.
  static func interleave(_ runs: [Run], toStep step: Int, evaluatingEvery interval: Int) throws {
    var stop = 0
    while stop < step {
      stop = min(stop + interval, step)
      for run in runs { try run.advance(toStep: stop, evaluatingEvery: interval) }
    }
  }

  /// AdamW at a constant learning rate after 10 warmup steps (a floor of 1), so that a run stopped early is
  /// the run a smaller budget would have made, as the equal-time comparison needs; clipping at norm 1.
  static func trainingConfiguration(steps: Int, seed: UInt64) -> TrainingConfiguration {
    var training = TrainingConfiguration()
    training.steps = steps
    training.learningRate = classifierLearningRate
    training.weightDecay = 0
    training.warmupSteps = min(10, steps)
    training.minimumLearningRateFactor = 1
    training.evaluationInterval = 0
    training.checkpointInterval = 0
    training.seed = seed
    return training
  }

  /// One training run: its trainer, the seconds of its steps, and its evaluations.
  final class Run {
    let trainer: Trainer
    private let threads: Int
    private(set) var seconds = 0.0
    private(set) var curve: Curve

    /// Initializes `model` from the training seed and evaluates it before the first step.
    init(name: String, model: any TrainableModel, data: any BatchProvider, training: TrainingConfiguration, threads: Int) throws {
      var generator = SeededGenerator(seed: training.seed)
      model.initialize(using: &generator)
      trainer = try Trainer(model: model, data: data, configuration: training)
      self.threads = threads
      curve = Curve(name: name, parameters: model.parameters.parameterCount, blasThreads: threads, points: [])
      try evaluate()
    }

    /// Steps to `step`, evaluating every `interval` steps and at `step`.
    func advance(toStep step: Int, evaluatingEvery interval: Int) throws {
      try advance(evaluatingEvery: interval) { $0.trainer.state.step < step }
    }

    /// Steps until the steps' seconds reach `budget` or the run reaches `maximumStep`, evaluating every
    /// `interval` steps and at the end.
    func advance(untilSeconds budget: Double, maximumStep: Int, evaluatingEvery interval: Int) throws {
      try advance(evaluatingEvery: interval) { $0.seconds < budget && $0.trainer.state.step < maximumStep }
    }

    private func advance(evaluatingEvery interval: Int, while condition: (Run) -> Bool) throws {
      BLASThreads.set(threads)
      while condition(self) {
        let start = DispatchTime.now().uptimeNanoseconds
        try trainer.step()
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if trainer.state.step % interval == 0 { try evaluate() }
      }
      if curve.points.last?.step != trainer.state.step { try evaluate() }
    }

    private func evaluate() throws {
      let loss = try trainer.evaluate()?.loss ?? .nan
      curve.points.append(Point(step: trainer.state.step, seconds: seconds, loss: loss))
    }
  }


  // MARK: - Report

  /// The section's text (settings, one table per experiment with the best possible and uniform losses) and its
  /// four charts.
  static func report(classifier: Experiment, language: Experiment, settings: Settings) -> DemoReport.Section {
    let task = settings.teacher
    let steps = settings.classifierSteps
    let dense = classifier.curves[0]
    let equalTime = classifier.curves.map(\.points.last!.seconds).max() ?? 0
    var text = """
      All runs: AdamW (learning rate \(formatted(Double(classifierLearningRate))) for the classifier, \(formatted(Double(languageLearningRate))) for the language \
      models, no weight decay, 10 warmup steps then constant, clipping at norm 1), seeded; held-out loss in nats. \
      Seconds count training steps only (evaluations are not timed) and depend on this machine and its load; \
      BLAS threads as `structml train` chooses them for the classifier, 1 for the language models.

      **Dense vs Monarch hidden layers** (MLP \(task.features) → \(settings.hidden.map(String.init).joined(separator: " → ")) \
      → \(task.classes), GELU, batch \(settings.classifierBatch), on the teacher task: \(task.examples) examples, \
      \(task.teacherHidden) teacher units, scale \(formatted(task.scale)), \(formatted(classifierHeldOutFraction * 100))% held out). Equal steps: \(steps) each; \
      equal time: the faster variants continue until their steps took as long as the slowest variant's \(steps) \
      (at most \(settings.maximumStepFactor * steps) steps).

      | hidden layers | parameters | BLAS threads | ms/step | × dense step | loss at step \(steps) | loss at \(formatted(equalTime)) s (step) |
      |---|---|---|---|---|---|---|

      """
    for curve in classifier.curves {
      let last = curve.points.last!
      text += "| \(curve.name) | \(curve.parameters) | \(curve.blasThreads) | \(formatted(curve.secondsPerStep * 1e3)) "
        + "| \(formatted(curve.secondsPerStep / dense.secondsPerStep)) | \(formatted(curve.point(atStep: steps).loss, digits: 4)) "
        + "| \(formatted(last.loss, digits: 4)) (\(last.step)) |\n"
    }
    text += "| best possible (teacher entropy, held out) | | | | | \(formatted(classifier.bestPossibleLoss, digits: 4)) | |\n"
    text += "| uniform prediction, log \(task.classes) | | | | | \(formatted(classifier.uniformLoss, digits: 4)) | |\n"
    text += """

      **Softmax vs 1.5-entmax attention, dense vs Monarch MLPs, Transformer vs S4D state-space LM** (\(settings.layers) blocks, width \
      \(settings.width), context \(settings.context), \(settings.heads) heads or S4D state size \(settings.stateSize), \
      \(settings.sequences) sequences per step, \(settings.languageSteps) steps, on \(settings.trainingTokens) tokens of \
      a random order-\(settings.order) Markov chain over \(settings.symbols) symbols; \
      \(min(64 * settings.sequences, (settings.heldOutTokens - 1) / settings.context)) held-out windows). The best \
      possible loss is the chain's exact entropy rate, averaged with the higher conditional entropy of the first \
      position of a window, which sees fewer than \(settings.order) symbols.

      | model | parameters | ms/step | loss at step \(settings.languageSteps) | above best possible |
      |---|---|---|---|---|

      """
    for curve in language.curves {
      let last = curve.points.last!
      text += "| \(curve.name) | \(curve.parameters) | \(formatted(curve.secondsPerStep * 1e3)) "
        + "| \(formatted(last.loss, digits: 4)) | \(formatted(last.loss - language.bestPossibleLoss, digits: 2)) |\n"
    }
    text += "| best possible | | | \(formatted(language.bestPossibleLoss, digits: 4)) | |\n"
    text += "| uniform prediction, log \(settings.symbols) | | | \(formatted(language.uniformLoss, digits: 4)) | |"
    return DemoReport.Section(
      title: "Training", markdown: text,
      charts: [
        (chartFiles.classifierSteps, chart(classifier, title: "MLP classifier: held-out loss", seconds: false)),
        (chartFiles.classifierSeconds, chart(classifier, title: "MLP classifier: held-out loss", seconds: true)),
        (chartFiles.languageSteps, chart(language, title: "Language models: held-out loss", seconds: false)),
        (chartFiles.languageSeconds, chart(language, title: "Language models: held-out loss", seconds: true)),
      ])
  }

  /// Held-out loss against steps or seconds, one line per run, with the best possible loss as a flat line.
  static func chart(_ experiment: Experiment, title: String, seconds: Bool) -> SVGChart {
    let x: (Point) -> Double = { seconds ? $0.seconds : Double($0.step) }
    var series = experiment.curves.map { curve in
      SVGChart.Series(name: curve.name, points: curve.points.map { (x($0), $0.loss) })
    }
    let end = experiment.curves.flatMap(\.points).map(x).max() ?? 1
    series.append(.init(name: "best possible", points: [(0, experiment.bestPossibleLoss), (end, experiment.bestPossibleLoss)]))
    return SVGChart(
      title: "\(title) against \(seconds ? "seconds" : "steps")", xLabel: seconds ? "seconds of training steps" : "step",
      yLabel: "held-out cross-entropy (nats)", series: series)
  }
}
