/// The optimizer of a run, ``AdamW`` or ``SGD``, behind one update call.
public enum TrainingOptimizer: Sendable {
  /// AdamW.
  case adamW(AdamW)
  /// SGD with momentum.
  case sgd(SGD)

  /// The optimizer a configuration asks for, at `step` updates taken (0 for a new run).
  ///
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` for a rate, decay or β out of range.
  public init(_ configuration: TrainingConfiguration, step: Int = 0) throws(TrainingError) {
    let groups = GroupTable(learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
    switch configuration.optimizer {
    case .adamw:
      self = .adamW(try AdamW(groups: groups, beta1: configuration.beta1, beta2: configuration.beta2, step: step))
    case .sgd: self = .sgd(try SGD(groups: groups, momentum: configuration.momentum, step: step))
    }
  }

  /// The number of updates taken.
  public var step: Int {
    switch self {
    case .adamW(let optimizer): return optimizer.step
    case .sgd(let optimizer): return optimizer.step
    }
  }

  /// Takes one step on every trainable parameter of `store`.
  ///
  /// - Complexity: O(trainable elements).
  public mutating func update(_ store: ParameterStore, learningRateFactor: Float) {
    switch self {
    case .adamW(var optimizer):
      optimizer.update(store, learningRateFactor: learningRateFactor)
      self = .adamW(optimizer)
    case .sgd(var optimizer):
      optimizer.update(store, learningRateFactor: learningRateFactor)
      self = .sgd(optimizer)
    }
  }
}
