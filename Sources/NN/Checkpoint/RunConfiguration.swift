/// Everything that defines a run: the model, the data and the training settings. A run folder's
/// `config.json`.
public struct RunConfiguration: Codable, Sendable, Equatable {
  /// The model and its sizes.
  public var model: ModelConfiguration
  /// Where the examples come from.
  public var data: DataConfiguration
  /// How the run trains.
  public var training: TrainingConfiguration

  /// Bundles the three parts.
  public init(model: ModelConfiguration, data: DataConfiguration, training: TrainingConfiguration) {
    self.model = model
    self.data = data
    self.training = training
  }
}
