/// Where a run stands: what a checkpoint's `state.json` holds besides the tensors.
///
/// With the parameters, the optimizer's moments and this state, a run resumes bit-identically: the next
/// batch is micro-batch ``nextMicroBatch`` of the data (a function of the seed and the index), the schedule's
/// position is ``step``, and dropout is seeded by the step.
public struct TrainingState: Codable, Sendable, Equatable {
  /// One held-out evaluation.
  public struct Evaluation: Codable, Sendable, Equatable {
    /// The number of steps taken when it ran.
    public var step: Int
    /// The mean held-out loss, in nats.
    public var loss: Double
    /// The share of held-out targets predicted correctly.
    public var accuracy: Double
  }

  /// The number of optimizer steps taken.
  public var step = 0
  /// The seed of the run's data order and dropout.
  public var seed: UInt64
  /// The index of the next training micro-batch.
  public var nextMicroBatch = 0
  /// The learning-rate factor of the next step (informational; recomputed from the schedule).
  public var learningRateFactor: Float = 0
  /// The mean training loss of every step taken, in order.
  public var trainingLosses: [Double] = []
  /// Every evaluation, in order.
  public var evaluations: [Evaluation] = []
  /// The seconds spent in training steps and evaluations.
  public var seconds = 0.0
  /// The examples (or tokens) trained on.
  public var examples = 0

  /// The state of a run that has not started.
  public init(seed: UInt64) { self.seed = seed }

  private enum CodingKeys: String, CodingKey {
    case step, seed, nextMicroBatch = "next_micro_batch", learningRateFactor = "learning_rate_factor"
    case trainingLosses = "training_losses", evaluations, seconds, examples
  }
}
