/// Where a run's examples come from: the `data` entry of a run's `config.json`.
///
/// Coded with a `type` key: `{"type": "teacher", "examples": 4096, ...}` (a ``TeacherClassificationTask``),
/// `{"type": "npy", "features": "x.npy", "labels": "y.npy"}`, `{"type": "markov_chain", "symbols": 16, ...}`
/// (a ``MarkovChainTask``) or `{"type": "text", "file": "input.txt"}` (UTF-8, as byte tokens). The first two
/// feed a classifier, the last two a language model.
public enum DataConfiguration: Codable, Sendable, Equatable {
  /// The built-in classification task with a known best loss.
  case teacher(TeacherClassificationTask)
  /// `.npy` features (float32, `examples × features`) and integer labels.
  case npy(features: String, labels: String)
  /// The built-in language-modelling task with a known best loss.
  case markovChain(MarkovChainTask)
  /// A UTF-8 text file read as byte-level tokens (vocabulary 256).
  case text(file: String)

  private enum CodingKeys: String, CodingKey { case type, features, labels, file }

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
    case "markov_chain": self = .markovChain(try MarkovChainTask(from: decoder))
    case "text": self = .text(file: try container.decode(String.self, forKey: .file))
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
    case .markovChain(let task):
      try container.encode("markov_chain", forKey: .type)
      try task.encode(to: encoder)
    case .text(let file):
      try container.encode("text", forKey: .type)
      try container.encode(file, forKey: .file)
    }
  }

  /// Whether the source holds token streams (for a language model) rather than labelled feature rows.
  public var holdsTokens: Bool {
    switch self {
    case .teacher, .npy: return false
    case .markovChain, .text: return true
    }
  }

  /// Loads or draws the labelled examples.
  ///
  /// - Throws: ``DataError`` naming the file or setting at fault; for a token source,
  ///   ``DataError/invalidSetting(name:value:)`` with name `data`.
  public func makeClassificationDataset() throws(DataError) -> ClassificationDataset {
    switch self {
    case .teacher(let task): return try task.makeDataset()
    case .npy(let features, let labels): return try ClassificationDataset(featuresFile: features, labelsFile: labels)
    case .markovChain, .text:
      throw .invalidSetting(name: "data (token streams for a language model, not labelled features)", value: 0)
    }
  }

  /// Loads or draws the examples and splits them into batches.
  ///
  /// - Parameters:
  ///   - batchSize: Examples per batch.
  ///   - heldOutFraction: The share of examples held out for evaluation.
  ///   - seed: The seed of the split and the shuffles.
  /// - Throws: What ``makeClassificationDataset()`` throws, or ``DataError`` for a split that does not fit.
  public func makeClassificationBatches(
    batchSize: Int, heldOutFraction: Double, seed: UInt64
  ) throws(DataError) -> ClassificationBatches {
    let teacher: TeacherClassificationTask? = if case .teacher(let task) = self { task } else { nil }
    return try ClassificationBatches(
      dataset: try makeClassificationDataset(), batchSize: batchSize, heldOutFraction: heldOutFraction, seed: seed,
      teacher: teacher)
  }

  /// Draws or reads the token streams.
  ///
  /// - Parameters:
  ///   - heldOutFraction: The share of a text file's bytes held out (its tail); the chain draws its held-out
  ///     stream separately.
  ///   - evaluationOnly: Hold every token out (a text file evaluated whole; the chain's held-out stream).
  /// - Throws: ``DataError`` naming the file or setting at fault; for a classification source,
  ///   ``DataError/invalidSetting(name:value:)`` with name `data`.
  public func makeTokenDataset(heldOutFraction: Double, evaluationOnly: Bool = false) throws(DataError) -> TokenDataset {
    switch self {
    case .markovChain(let task):
      let dataset = try task.makeDataset()
      return evaluationOnly
        ? TokenDataset(
          source: dataset.source, vocabularySize: dataset.vocabularySize, training: [], heldOut: dataset.heldOut,
          chain: dataset.chain) : dataset
    case .text(let file):
      let dataset = try TokenDataset.byteText(contentsOf: file, heldOutFraction: evaluationOnly ? 0.5 : heldOutFraction)
      return evaluationOnly
        ? TokenDataset(source: file, vocabularySize: 256, training: [], heldOut: dataset.training + dataset.heldOut)
        : dataset
    case .teacher, .npy:
      throw .invalidSetting(name: "data (labelled features for a classifier, not token streams)", value: 0)
    }
  }
}
