/// The optimizer of a run, ``AdamW`` or ``SGD``, behind one update call.
public enum TrainingOptimizer: Sendable {
  /// AdamW.
  case adamW(AdamW)
  /// SGD with momentum.
  case sgd(SGD)

  /// The optimizer a configuration asks for, at `step` updates taken (0 for a new run).
  ///
  /// - Parameters:
  ///   - configuration: The run's optimizer kind, rate, decay and moments.
  ///   - step: The updates already taken.
  ///   - groups: The parameter groups' rates and decays (LoRA+'s ``LoRAPlus/groupTable(assigningGroupsIn:learningRate:ratio:weightDecay:)``),
  ///     or `nil` for the configuration's rate and decay with the undecayed group at no decay.
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` for a rate, decay or β out of range.
  public init(_ configuration: TrainingConfiguration, step: Int = 0, groups: GroupTable? = nil) throws(TrainingError) {
    let groups = groups ?? GroupTable(learningRate: configuration.learningRate, weightDecay: configuration.weightDecay)
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
