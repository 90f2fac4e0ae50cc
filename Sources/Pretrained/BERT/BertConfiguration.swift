import NN

/// The architecture of a BERT-family encoder, read from the fields of its `config.json`.
public struct BertConfiguration: Sendable, Equatable {
  /// The `model_type` values this encoder runs.
  public static let supportedModelTypes = ["bert"]

  /// `vocab_size`.
  public let vocabularySize: Int
  /// `hidden_size`.
  public let hiddenSize: Int
  /// `num_hidden_layers`.
  public let layers: Int
  /// `num_attention_heads`; it divides ``hiddenSize``.
  public let heads: Int
  /// `intermediate_size`, the width of the feed-forward block.
  public let intermediateSize: Int
  /// `max_position_embeddings`, the longest sequence.
  public let maximumPositions: Int
  /// `type_vocab_size`, the number of token types.
  public let tokenTypes: Int
  /// `layer_norm_eps`.
  public let layerNormEpsilon: Float
  /// `hidden_act`: `gelu` is the exact form, `gelu_new` and `gelu_pytorch_tanh` the tanh form.
  public let activation: GELU.Approximation

  /// Reads the configuration of a BERT `config.json`.
  ///
  /// - Throws: ``PretrainedModelError/unsupportedArchitecture(file:architecture:supported:)`` for a
  ///   `model_type` other than `bert`; ``PretrainedModelError/invalidConfiguration(file:field:reason:)``
  ///   naming the field that is missing, out of range or unsupported (`hidden_act` other than a GELU,
  ///   `position_embedding_type` other than `absolute`, heads that do not divide the width).
  public init(_ configuration: HuggingFaceConfiguration) throws(PretrainedModelError) {
    let file = configuration.file
    let modelType = try configuration.string("model_type")
    guard Self.supportedModelTypes.contains(modelType) else {
      throw .unsupportedArchitecture(file: file, architecture: modelType, supported: Self.supportedModelTypes)
    }
    vocabularySize = try configuration.integer("vocab_size")
    hiddenSize = try configuration.integer("hidden_size", in: 1...65536)
    layers = try configuration.integer("num_hidden_layers", in: 1...1024)
    heads = try configuration.integer("num_attention_heads", in: 1...hiddenSize)
    guard hiddenSize % heads == 0 else {
      throw .invalidConfiguration(
        file: file, field: "num_attention_heads", reason: "\(heads) heads do not divide hidden_size \(hiddenSize)")
    }
    intermediateSize = try configuration.integer("intermediate_size", in: 1...1 << 20)
    maximumPositions = try configuration.integer("max_position_embeddings", in: 1...1 << 20)
    tokenTypes = try configuration.integer("type_vocab_size", in: 1...1 << 20, default: 2)
    layerNormEpsilon = Float(try configuration.positiveNumber("layer_norm_eps", default: 1e-12))
    switch try configuration.string("hidden_act", default: "gelu") {
    case "gelu": activation = .none
    case "gelu_new", "gelu_pytorch_tanh": activation = .tanh
    case let other:
      throw .invalidConfiguration(
        file: file, field: "hidden_act", reason: "'\(other)' is not supported (gelu, gelu_new, gelu_pytorch_tanh)")
    }
    let positions = try configuration.string("position_embedding_type", default: "absolute")
    guard positions == "absolute" else {
      throw .invalidConfiguration(
        file: file, field: "position_embedding_type", reason: "'\(positions)' is not supported (absolute)")
    }
  }
}
