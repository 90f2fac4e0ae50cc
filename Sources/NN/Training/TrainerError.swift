import Distributed

/// Why a training run stopped before its last step.
public enum TrainerError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The loss of a step was NaN or infinite; the step's update was not taken.
  case nonFiniteLoss(step: Int, loss: Double)
  /// The global gradient norm of a step was NaN or infinite; the step's update was not taken.
  case nonFiniteGradient(step: Int)
  /// The model refused a batch (its error, as text).
  case batchFailed(step: Int, reason: String)
  /// A collective operation of a data-parallel step failed (a rank failed or vanished).
  case collectiveFailed(step: Int, DistributedError)

  public var description: String {
    switch self {
    case .nonFiniteLoss(let step, let loss): return "the loss at step \(step) is \(loss); the step was not taken"
    case .nonFiniteGradient(let step): return "the gradient norm at step \(step) is not finite; the step was not taken"
    case .batchFailed(let step, let reason): return "step \(step): \(reason)"
    case .collectiveFailed(let step, let error): return "step \(step): \(error)"
    }
  }
}
