/// Which model a run trains, with its configuration: the `model` entry of a run's `config.json`.
///
/// Coded as the model's own configuration with a `type` key added (`{"type": "mlp", "input_features": 32,
/// ...}`, `{"type": "language_model", "vocabulary_size": 256, ...}`), so each architecture is one more case.
public enum ModelConfiguration: Codable, Sendable, Equatable {
  /// An ``MLPClassifier``.
  case mlp(MLPConfiguration)
  /// A ``LanguageModel``: a Transformer or a state-space LM, as its mixer says.
  case languageModel(LanguageModelConfiguration)

  private enum CodingKeys: String, CodingKey { case type }

  /// Decodes the `type` key, then the configuration of that model from the same object.
  ///
  /// - Throws: `DecodingError` for an unknown type or a configuration that does not decode.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    switch try container.decode(String.self, forKey: .type) {
    case "mlp": self = .mlp(try MLPConfiguration(from: decoder))
    case "language_model": self = .languageModel(try LanguageModelConfiguration(from: decoder))
    case let other:
      throw DecodingError.dataCorruptedError(
        forKey: .type, in: container, debugDescription: "unknown model type '\(other)'")
    }
  }

  /// Encodes the configuration with its `type` key.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .mlp(let configuration):
      try container.encode("mlp", forKey: .type)
      try configuration.encode(to: encoder)
    case .languageModel(let configuration):
      try container.encode("language_model", forKey: .type)
      try configuration.encode(to: encoder)
    }
  }

  /// Builds the model with every parameter zero (call ``TrainableModel/initialize(using:)`` or load a
  /// checkpoint next).
  ///
  /// - Throws: ``TrainingError`` naming the layer whose sizes do not fit.
  public func makeModel() throws -> any TrainableModel {
    switch self {
    case .mlp(let configuration): return try MLPClassifier(configuration: configuration)
    case .languageModel(let configuration): return try LanguageModel(configuration)
    }
  }
}
