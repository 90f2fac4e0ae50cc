import TensorCore

/// A learning-rate factor that rises linearly over the warmup steps and then follows half a cosine down to a
/// floor (nanoGPT's schedule).
///
/// For step `s` (counted from 0), with `W` warmup steps, `T` total steps and floor `f`:
/// ```
/// s < W:        (s + 1) / W
/// W ≤ s < T:    f + (1 − f) · ½ · (1 + cos(π · (s − W) / (T − W)))
/// s ≥ T:        f
/// ```
public struct WarmupCosineSchedule: Sendable, Equatable {
  /// The number of warmup steps `W`.
  public let warmupSteps: Int
  /// The step `T` at which the factor reaches its floor.
  public let totalSteps: Int
  /// The floor `f`, as a fraction of the peak learning rate.
  public let minimumFactor: Float

  /// Creates a schedule.
  ///
  /// - Throws: ``TrainingError`` when `warmupSteps` is negative or above `totalSteps`, `totalSteps` is not
  ///   positive, or `minimumFactor` is outside `[0, 1]`.
  public init(warmupSteps: Int, totalSteps: Int, minimumFactor: Float = 0.1) throws(TrainingError) {
    try requirePositive(totalSteps, "totalSteps", "WarmupCosineSchedule")
    guard warmupSteps >= 0, warmupSteps <= totalSteps else {
      throw .invalidValue(layer: "WarmupCosineSchedule", name: "warmupSteps", value: Double(warmupSteps))
    }
    guard minimumFactor >= 0, minimumFactor <= 1 else {
      throw .invalidValue(layer: "WarmupCosineSchedule", name: "minimumFactor", value: Double(minimumFactor))
    }
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
    self.minimumFactor = minimumFactor
  }

  /// The factor on the learning rate at `step`.
  public func factor(atStep step: Int) -> Float {
    if step < warmupSteps { return Float(step + 1) / Float(warmupSteps) }
    if step >= totalSteps { return minimumFactor }
    let progress = Double(step - warmupSteps) / Double(max(totalSteps - warmupSteps, 1))
    let cosine = 0.5 * (1 + Double.cosine(Double.pi * progress))
    return minimumFactor + (1 - minimumFactor) * Float(cosine)
  }
}
