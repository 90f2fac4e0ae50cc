import Distributed
import TensorCore

/// A training loop that drives any ``TrainableModel`` over any ``BatchProvider``: micro-batches with
/// gradient accumulation, clipping by global norm, AdamW or SGD with parameter groups, a warmup + cosine
/// schedule, held-out evaluation, and a stop with an error naming the step at a NaN or infinite loss.
///
/// One step zeroes the gradients, runs ``TrainingConfiguration/accumulationSteps`` micro-batches (each loss's
/// gradient scaled by `1/k`), checks the loss and the gradient norm, clips, and updates. Nothing about the step
/// depends on anything but the parameters, the moments and ``TrainingState``, so a checkpoint of those
/// resumes bit-identically.
///
/// Over a `ProcessGroup` of `P` ranks the step is data-parallel: every rank draws the same global
/// micro-batches (their order depends on the seed, never on `P`), trains on its shard (``Batch/shard(_:of:)``,
/// examples `r·B/P ..< (r+1)·B/P`), weights its gradient by its share of the micro-batch's counted targets, and
/// the gradients are summed by one all-reduce over the trainable gradients; the loss is reduced alike. The
/// update, the clipping norm and the parameters are then the same on every rank and equal, up to rounding, to
/// those of one process over the same global batch, and a checkpoint written by one rank count resumes under
/// any other. Held-out batches are spread over the ranks and their sums reduced. Dropout draws masks seeded by
/// the step and the rank (rank 0's are those of a single process), so with dropout a run depends on `P` only
/// through its masks.
public final class Trainer {
  /// The model, with its parameters.
  public let model: any TrainableModel
  /// How the run trains.
  public let configuration: TrainingConfiguration
  /// Where the run stands.
  public private(set) var state: TrainingState
  /// The optimizer, with its step count (its moments live in the model's store).
  public private(set) var optimizer: TrainingOptimizer
  /// The ranks that train together (a single process by default).
  public let group: any ProcessGroup
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
    /// The seconds this rank spent in the step's collectives (0 in a single process).
    public let collectiveSeconds: Double
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
  ///   - group: The ranks that train together, each with this same model, data and configuration.
  /// - Throws: ``TrainingError`` for a configuration, optimizer or schedule setting out of range, or a batch
  ///   smaller than the number of ranks.
  public init(
    model: any TrainableModel, data: any BatchProvider, configuration: TrainingConfiguration,
    state: TrainingState? = nil, groups: GroupTable? = nil, group: any ProcessGroup = SingleProcessGroup()
  ) throws(TrainingError) {
    try configuration.validate()
    guard configuration.batchSize >= group.size else {
      throw .invalidSize(
        layer: "training", name: "batch_size", value: configuration.batchSize,
        requirement: "is smaller than the \(group.size) ranks; every rank needs at least one example of a batch")
    }
    self.group = group
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
  ///   parameters are left as they were before the step), ``TrainerError/batchFailed(step:reason:)``,
  ///   ``TrainerError/collectiveFailed(step:_:)`` when a rank fails in a collective.
  @discardableResult
  public func step() throws(TrainerError) -> StepReport {
    let started = ContinuousClock.now
    let store = model.parameters
    let k = configuration.accumulationSteps
    let stepNumber = state.step + 1
    var collectiveSeconds = 0.0
    let shards = (0..<k).map { data.trainingBatch(at: state.nextMicroBatch + $0).shard(group.rank, of: group.size) }
    let weights = try collective(step: stepNumber, seconds: &collectiveSeconds) { () throws(DistributedError) in
      try targetShares(of: shards)
    }
    store.zeroGradients()
    var loss = 0.0
    for (micro, batch) in shards.enumerated() {
      workspace.reset()
      let scale = group.size == 1 ? 1 / Float(k) : Float(weights[micro] / Double(k))
      do {
        let result = try model.loss(
          on: batch, pass: .training(step: dropoutStep, gradientScale: scale), workspace: workspace)
        loss += result.loss * weights[micro] / Double(k)
      } catch {
        throw .batchFailed(step: stepNumber, reason: "\(error)")
      }
    }
    if group.size > 1 {
      try collective(step: stepNumber, seconds: &collectiveSeconds) { () throws(DistributedError) in
        try store.allReduceGradients(over: group, .sum)
        var sum = [loss]
        try sum.withUnsafeMutableBufferPointer { (buffer) throws(DistributedError) in try group.allReduce(buffer, .sum) }
        loss = sum[0]
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
    return StepReport(
      step: stepNumber, loss: loss, gradientNorm: norm, learningRateFactor: factor,
      collectiveSeconds: collectiveSeconds)
  }

  /// The step that seeds this rank's dropout masks: the step itself on rank 0 (a single process's masks), a
  /// hash of the step and the rank on the others, so that the ranks' shards draw independent masks.
  private var dropoutStep: Int {
    group.rank == 0 ? state.step : state.step &+ group.rank &* 0x2545_F491_4F6C_DD1D
  }

  /// Each micro-batch's share of the counted targets that lie on this rank, `c_r / Σ c` (all 1 in a single
  /// process; `1/P` for a micro-batch without counted targets), so that the weighted sum of the ranks' mean
  /// losses is the global batch's mean loss.
  private func targetShares(of shards: [Batch]) throws(DistributedError) -> [Double] {
    guard group.size > 1 else { return Array(repeating: 1, count: shards.count) }
    let counts = shards.map { Double($0.countedTargets()) }
    var totals = counts
    try totals.withUnsafeMutableBufferPointer { (buffer) throws(DistributedError) in try group.allReduce(buffer, .sum) }
    return zip(counts, totals).map { count, total in total > 0 ? count / total : 1 / Double(group.size) }
  }

  /// Runs the collectives of `body`, adding their time to `seconds` and naming the step in their error.
  private func collective<T>(
    step: Int, seconds: inout Double, _ body: () throws(DistributedError) -> T
  ) throws(TrainerError) -> T {
    let started = ContinuousClock.now
    defer { seconds += Self.seconds(since: started) }
    do {
      return try body()
    } catch {
      throw .collectiveFailed(step: step, error)
    }
  }

  /// Evaluates the model on the held-out batches and records the result in ``state``.
  ///
  /// - Returns: The mean loss and accuracy over every counted held-out target (`nil` without a held-out split).
  /// Over several ranks each rank scores every `P`-th batch and the sums are reduced.
  ///
  /// - Throws: ``TrainerError/batchFailed(step:reason:)`` when the model refuses a batch,
  ///   ``TrainerError/collectiveFailed(step:_:)`` when the reduction fails.
  @discardableResult
  public func evaluate() throws(TrainerError) -> TrainingState.Evaluation? {
    let started = ContinuousClock.now
    var (total, counted, correct) = (0.0, 0, 0)
    for (index, batch) in data.evaluationBatches.enumerated() where index % group.size == group.rank {
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
    if group.size > 1 {
      var sums = [total, Double(counted), Double(correct)]
      var ignored = 0.0
      try collective(step: state.step, seconds: &ignored) { () throws(DistributedError) in
        try sums.withUnsafeMutableBufferPointer { (buffer) throws(DistributedError) in try group.allReduce(buffer, .sum) }
      }
      (total, counted, correct) = (sums[0], Int(sums[1]), Int(sums[2]))
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
