/// Where a run's examples come from: the `data` entry of a run's `config.json`.
///
/// Coded with a `type` key: `{"type": "teacher", "examples": 4096, ...}` (a ``TeacherClassificationTask``) or
/// `{"type": "npy", "features": "x.npy", "labels": "y.npy"}`.
public enum DataConfiguration: Codable, Sendable, Equatable {
  /// The built-in classification task with a known best loss.
  case teacher(TeacherClassificationTask)
  /// `.npy` features (float32, `examples × features`) and integer labels.
  case npy(features: String, labels: String)

  private enum CodingKeys: String, CodingKey { case type, features, labels }

  /// Decodes the `type` key and the source's settings.
  ///
  /// - Throws: `DecodingError` for an unknown type or missing settings.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    switch try container.decode(String.self, forKey: .type) {
    case "teacher": self = .teacher(try TeacherClassificationTask(from: decoder))
    case "npy":
      self = .npy(
        features: try container.decode(String.self, forKey: .features),
        labels: try container.decode(String.self, forKey: .labels))
    case let other:
      throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown data type '\(other)'")
    }
  }

  /// Encodes the source with its `type` key.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .teacher(let task):
      try container.encode("teacher", forKey: .type)
      try task.encode(to: encoder)
    case .npy(let features, let labels):
      try container.encode("npy", forKey: .type)
      try container.encode(features, forKey: .features)
      try container.encode(labels, forKey: .labels)
    }
  }

  /// Loads or draws the examples and splits them into batches.
  ///
  /// - Parameters:
  ///   - batchSize: Examples per batch.
  ///   - heldOutFraction: The share of examples held out for evaluation.
  ///   - seed: The seed of the split and the shuffles.
  /// - Throws: ``DataError`` naming the file or setting at fault.
  public func makeClassificationBatches(
    batchSize: Int, heldOutFraction: Double, seed: UInt64
  ) throws(DataError) -> ClassificationBatches {
    switch self {
    case .teacher(let task):
      return try ClassificationBatches(
        dataset: try task.makeDataset(), batchSize: batchSize, heldOutFraction: heldOutFraction, seed: seed,
        teacher: task)
    case .npy(let features, let labels):
      return try ClassificationBatches(
        dataset: try ClassificationDataset(featuresFile: features, labelsFile: labels), batchSize: batchSize,
        heldOutFraction: heldOutFraction, seed: seed)
    }
  }
}
