import CKernels
import TensorCore

/// Adam with decoupled weight decay (Loshchilov and Hutter 2019), step for step as `torch.optim.AdamW`.
///
/// For each trainable parameter `p` with gradient `g`, at step `t` (counted from 1), in this order and in
/// `Float` like PyTorch's CPU implementation:
/// ```
/// p ← p · (1 − lr·wd)
/// m ← m + (1 − β₁)·(g − m)              (PyTorch's lerp)
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)
/// ```
/// `lr` and `wd` come from the parameter's group (``GroupTable``), `lr` times the schedule factor. The moments
/// live in the store (``ParameterStore/firstMoments``, ``ParameterStore/secondMoments``); the optimizer holds
/// only its hyperparameters and the step count, so a checkpoint of the store plus ``step`` resumes exactly.
public struct AdamW: Sendable {
  /// The per-group learning rates and weight decays.
  public var groups: GroupTable
  /// The decay rate of the first moment, β₁ (held in `Double`: PyTorch rounds `β₁` and `1 − β₁` to `Float`
  /// separately, and so does this type).
  public let beta1: Double
  /// The decay rate of the second moment, β₂ (in `Double`, like ``beta1``).
  public let beta2: Double
  /// The term added to the denominator, outside the square root.
  public let epsilon: Float
  /// The number of updates taken so far.
  public var step: Int

  /// Creates the optimizer with PyTorch's defaults.
  ///
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` for a negative or non-finite rate, a β
  ///   outside `[0, 1)` or a non-positive epsilon.
  public init(
    groups: GroupTable = GroupTable(learningRate: 1e-3, weightDecay: 1e-2), beta1: Double = 0.9,
    beta2: Double = 0.999, epsilon: Float = 1e-8, step: Int = 0
  ) throws(TrainingError) {
    try groups.validate("AdamW")
    for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
      throw .invalidValue(layer: "AdamW", name: name, value: beta)
    }
    try requirePositive(Double(epsilon), "epsilon", "AdamW")
    self.groups = groups
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.step = step
  }

  /// Takes one step on every trainable parameter of `store`.
  ///
  /// - Parameters:
  ///   - store: The parameters, their gradients and the optimizer's moments.
  ///   - learningRateFactor: The schedule's factor on every group's learning rate this step.
  /// - Complexity: O(trainable elements), one vectorized pass over each slot's range, split across cores.
  public mutating func update(_ store: ParameterStore, learningRateFactor: Float = 1) {
    step += 1
    let t = Double(step)
    let biasCorrection1 = 1 - Double.power(beta1, t)
    let biasCorrection2SquareRoot = (1 - Double.power(beta2, t)).squareRoot()
    let (beta2, epsilon) = (Float(beta2), epsilon)
    let (oneMinusBeta1, oneMinusBeta2) = (Float(1 - beta1), Float(1 - self.beta2))
    for slot in store.slots where slot.trainable {
      let settings = groups[slot.group]
      let lr = Double(settings.learningRate) * Double(learningRateFactor)
      let decay = Float(1 - lr * Double(settings.weightDecay))
      let stepSize = Float(lr / biasCorrection1)
      let correction = Float(biasCorrection2SquareRoot)
      let coefficients = sml_adamw_coefficients(
        decay: decay, one_minus_beta1: oneMinusBeta1, beta2: beta2, one_minus_beta2: oneMinusBeta2,
        step_size: stepSize, correction: correction, epsilon: epsilon)
      // Chunks of whole cache lines on separate cores; the kernel rounds every operation like the scalar
      // formula above, so the split does not change a bit.
      let chunk = 1 << 16
      parallelFor((slot.count + chunk - 1) / chunk, minimumChunk: 4) { chunks in
        let start = chunks.lowerBound * chunk
        let end = min(slot.count, chunks.upperBound * chunk)
        let offset = slot.offset + start
        sml_adamw_update_f(
          store.values + offset, store.gradients + offset, store.firstMoments + offset, store.secondMoments + offset,
          end - start, coefficients, sml_cpu_vector_level())
      }
    }
  }
}
