import TensorCore

/// A training loop that drives any ``TrainableModel`` over any ``BatchProvider``: micro-batches with
/// gradient accumulation, clipping by global norm, AdamW or SGD with parameter groups, a warmup + cosine
/// schedule, held-out evaluation, and a stop with an error naming the step at a NaN or infinite loss.
///
/// One step zeroes the gradients, runs ``TrainingConfiguration/accumulationSteps`` micro-batches (each loss's
/// gradient scaled by `1/k`), checks the loss and the gradient norm, clips, and updates. Nothing about the step
/// depends on anything but the parameters, the moments and ``TrainingState``, so a checkpoint of those
/// resumes bit-identically.
public final class Trainer {
  /// The model, with its parameters.
  public let model: any TrainableModel
  /// How the run trains.
  public let configuration: TrainingConfiguration
  /// Where the run stands.
  public private(set) var state: TrainingState
  /// The optimizer, with its step count (its moments live in the model's store).
  public private(set) var optimizer: TrainingOptimizer
  private var data: any BatchProvider
  private let schedule: WarmupCosineSchedule
  private let workspace = Workspace()

  /// What one step measured.
  public struct StepReport: Sendable, Equatable {
    /// The number of steps taken after this one.
    public let step: Int
    /// The mean training loss over the step's micro-batches.
    public let loss: Double
    /// The global gradient norm before clipping.
    public let gradientNorm: Double
    /// The schedule's factor on the learning rate this step.
    public let learningRateFactor: Float
  }

  /// Prepares a run, new or resumed.
  ///
  /// - Parameters:
  ///   - model: The model, initialized or loaded.
  ///   - data: The batches.
  ///   - configuration: How to train.
  ///   - state: The state of a resumed run (its moments already in the model's store), or `nil` for a new run.
  ///   - groups: Learning rates and decays of the store's parameter groups that replace the configuration's
  ///     (LoRA+), or `nil` for the configuration's; the schedule scales them all alike.
  /// - Throws: ``TrainingError`` for a configuration, optimizer or schedule setting out of range.
  public init(
    model: any TrainableModel, data: any BatchProvider, configuration: TrainingConfiguration,
    state: TrainingState? = nil, groups: GroupTable? = nil
  ) throws(TrainingError) {
    try configuration.validate()
    self.model = model
    self.data = data
    self.configuration = configuration
    let state = state ?? TrainingState(seed: configuration.seed)
    self.state = state
    optimizer = try TrainingOptimizer(configuration, step: state.step, groups: groups)
    schedule = try WarmupCosineSchedule(
      warmupSteps: min(configuration.warmupSteps, configuration.steps), totalSteps: configuration.steps,
      minimumFactor: configuration.minimumLearningRateFactor)
    self.state.learningRateFactor = schedule.factor(atStep: state.step)
  }

  /// Whether the run has taken all its steps.
  public var isFinished: Bool { state.step >= configuration.steps }

  /// The expected held-out loss of the best possible model, when the data knows it.
  public var bestPossibleLoss: Double? { data.bestPossibleLoss }

  /// The held-out batches ``evaluate()`` scores.
  public var evaluationBatches: [Batch] { data.evaluationBatches }

  /// Takes one optimizer step.
  ///
  /// - Returns: The step's loss, gradient norm and learning-rate factor.
  /// - Throws: ``TrainerError/nonFiniteLoss(step:loss:)`` or ``TrainerError/nonFiniteGradient(step:)`` (the
  ///   parameters are left as they were before the step), ``TrainerError/batchFailed(step:reason:)``.
  @discardableResult
  public func step() throws(TrainerError) -> StepReport {
    let started = ContinuousClock.now
    let store = model.parameters
    let k = configuration.accumulationSteps
    let stepNumber = state.step + 1
    store.zeroGradients()
    var loss = 0.0
    for micro in 0..<k {
      let batch = data.trainingBatch(at: state.nextMicroBatch + micro)
      workspace.reset()
      do {
        let result = try model.loss(
          on: batch, pass: .training(step: state.step, gradientScale: 1 / Float(k)), workspace: workspace)
        loss += result.loss / Double(k)
      } catch {
        throw .batchFailed(step: stepNumber, reason: "\(error)")
      }
    }
    guard loss.isFinite else { throw .nonFiniteLoss(step: stepNumber, loss: loss) }
    let norm = configuration.clipNorm > 0
      ? store.clipGradients(maxNorm: configuration.clipNorm) : store.gradientNorm()
    guard norm.isFinite else { throw .nonFiniteGradient(step: stepNumber) }
    let factor = schedule.factor(atStep: state.step)
    optimizer.update(store, learningRateFactor: factor)
    state.step = stepNumber
    state.nextMicroBatch += k
    state.learningRateFactor = schedule.factor(atStep: state.step)
    state.trainingLosses.append(loss)
    state.examples += k * data.examplesPerBatch
    state.seconds += Self.seconds(since: started)
    return StepReport(step: stepNumber, loss: loss, gradientNorm: norm, learningRateFactor: factor)
  }

  /// Evaluates the model on the held-out batches and records the result in ``state``.
  ///
  /// - Returns: The mean loss and accuracy over every counted held-out target (`nil` without a held-out split).
  /// - Throws: ``TrainerError/batchFailed(step:reason:)`` when the model refuses a batch.
  @discardableResult
  public func evaluate() throws(TrainerError) -> TrainingState.Evaluation? {
    let started = ContinuousClock.now
    var (total, counted, correct) = (0.0, 0, 0)
    for batch in data.evaluationBatches {
      workspace.reset()
      do {
        let result = try model.loss(on: batch, pass: .evaluation, workspace: workspace)
        total += result.loss * Double(result.countedTargets)
        counted += result.countedTargets
        correct += result.correctPredictions
      } catch {
        throw .batchFailed(step: state.step, reason: "evaluation: \(error)")
      }
    }
    state.seconds += Self.seconds(since: started)
    guard counted > 0 else { return nil }
    let evaluation = TrainingState.Evaluation(
      step: state.step, loss: total / Double(counted), accuracy: Double(correct) / Double(counted))
    state.evaluations.append(evaluation)
    return evaluation
  }

  /// Trains to the last step (or to `stopStep`): evaluates before the first step of a new run, every
  /// ``TrainingConfiguration/evaluationInterval`` steps and at the end; calls `checkpoint` every
  /// ``TrainingConfiguration/checkpointInterval`` steps and at the end.
  ///
  /// - Parameters:
  ///   - stopStep: A step to stop after (evaluating and checkpointing there) with the schedule of the whole
  ///     run, so that a resumed run continues exactly; `nil` runs to ``TrainingConfiguration/steps``.
  ///   - onStep: Called after every step (progress display).
  ///   - checkpoint: Writes a checkpoint of the trainer; never called after a failed step, so the last one
  ///     written stays the last good one.
  /// - Throws: What ``step()``, ``evaluate()`` and `checkpoint` throw.
  public func run(
    stoppingAfter stopStep: Int? = nil, onStep: (StepReport) -> Void = { _ in },
    checkpoint: (Trainer) throws -> Void = { _ in }
  ) throws {
    let last = min(stopStep ?? configuration.steps, configuration.steps)
    if state.step == 0 && state.evaluations.isEmpty { try evaluate() }
    while state.step < last {
      onStep(try step())
      let end = state.step == last
      let (evaluationInterval, checkpointInterval) = (configuration.evaluationInterval, configuration.checkpointInterval)
      if end || (evaluationInterval > 0 && state.step % evaluationInterval == 0) { try evaluate() }
      if end || (checkpointInterval > 0 && state.step % checkpointInterval == 0) { try checkpoint(self) }
    }
  }

  private static func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  }
}
