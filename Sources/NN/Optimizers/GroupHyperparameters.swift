/// The learning rate and weight decay of one ``ParameterGroup``, as a PyTorch optimizer's `param_groups` entry
/// holds them.
public struct GroupHyperparameters: Sendable, Equatable {
  /// The learning rate before any schedule factor.
  public var learningRate: Float
  /// The weight decay (decoupled for ``AdamW``, added to the gradient for ``SGD``).
  public var weightDecay: Float

  /// Creates a group's settings.
  public init(learningRate: Float, weightDecay: Float) {
    self.learningRate = learningRate
    self.weightDecay = weightDecay
  }
}

/// The hyperparameters of every group: a default for groups not listed, and the listed exceptions.
///
/// The default table gives ``ParameterGroup/undecayed`` (biases, norms, embeddings) weight decay 0.
public struct GroupTable: Sendable, Equatable {
  /// The settings of any group not in ``overrides``.
  public var defaults: GroupHyperparameters
  /// Groups with settings of their own.
  public var overrides: [ParameterGroup: GroupHyperparameters]

  /// Creates a table; by default the ``ParameterGroup/undecayed`` group keeps `learningRate` and has no decay.
  public init(learningRate: Float, weightDecay: Float, overrides: [ParameterGroup: GroupHyperparameters]? = nil) {
    defaults = GroupHyperparameters(learningRate: learningRate, weightDecay: weightDecay)
    self.overrides = overrides ?? [.undecayed: GroupHyperparameters(learningRate: learningRate, weightDecay: 0)]
  }

  /// The settings of `group`.
  public subscript(group: ParameterGroup) -> GroupHyperparameters { overrides[group] ?? defaults }

  func validate(_ optimizer: String) throws(TrainingError) {
    for settings in [defaults] + Array(overrides.values) {
      guard settings.learningRate.isFinite, settings.learningRate >= 0 else {
        throw .invalidValue(layer: optimizer, name: "learning rate", value: Double(settings.learningRate))
      }
      guard settings.weightDecay.isFinite, settings.weightDecay >= 0 else {
        throw .invalidValue(layer: optimizer, name: "weight decay", value: Double(settings.weightDecay))
      }
    }
  }
}
