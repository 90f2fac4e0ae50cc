/// Stochastic gradient descent with momentum, step for step as `torch.optim.SGD`.
///
/// For each trainable parameter, with `wd` and `lr` from its group:
/// ```
/// g ← g + wd·p
/// b ← g (first step), else b ← μ·b + (1 − dampening)·g
/// g ← g + μ·b (Nesterov), else g ← b
/// p ← p − lr·g
/// ```
/// The momentum buffer `b` is ``ParameterStore/firstMoments``. Without momentum (`μ = 0`) the update is
/// plain `p ← p − lr·(g + wd·p)`.
public struct SGD: Sendable {
  /// The per-group learning rates and weight decays (coupled: added to the gradient).
  public var groups: GroupTable
  /// The momentum μ.
  public let momentum: Float
  /// The dampening of the gradient in the momentum buffer.
  public let dampening: Float
  /// Whether to use Nesterov momentum.
  public let nesterov: Bool
  /// The number of updates taken so far.
  public var step: Int

  /// Creates the optimizer.
  ///
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` for a negative or non-finite setting.
  public init(
    groups: GroupTable, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, step: Int = 0
  ) throws(TrainingError) {
    try groups.validate("SGD")
    for (name, value) in [("momentum", momentum), ("dampening", dampening)] where !(value.isFinite && value >= 0) {
      throw .invalidValue(layer: "SGD", name: name, value: Double(value))
    }
    self.groups = groups
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.step = step
  }

  /// Takes one step on every trainable parameter of `store`.
  ///
  /// - Parameters:
  ///   - store: The parameters, their gradients and the optimizer's moments.
  ///   - learningRateFactor: The schedule's factor on every group's learning rate this step.
  /// - Complexity: O(trainable elements).
  public mutating func update(_ store: ParameterStore, learningRateFactor: Float = 1) {
    let first = step == 0
    step += 1
    for slot in store.slots where slot.trainable {
      let settings = groups[slot.group]
      let lr = settings.learningRate * learningRateFactor
      let wd = settings.weightDecay
      let p = store.values + slot.offset
      let g = store.gradients + slot.offset
      let b = store.firstMoments + slot.offset
      for i in 0..<slot.count {
        var gradient = g[i] + wd * p[i]
        if momentum != 0 {
          b[i] = first ? gradient : momentum * b[i] + (1 - dampening) * gradient
          gradient = nesterov ? gradient + momentum * b[i] : b[i]
        }
        p[i] -= lr * gradient
      }
    }
  }
}
