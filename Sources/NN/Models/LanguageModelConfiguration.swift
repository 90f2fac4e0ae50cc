import Monarch
import ProbabilityMaps

/// The sizes and choices of a ``LanguageModel``: a decoder-only stack of pre-norm blocks whose sequence mixer
/// is causal self-attention (a Transformer, nanoGPT's layout) or a long convolution (a state-space LM).
///
/// Encoded as JSON with the property names below, for example
/// ```json
/// {"vocabulary_size": 256, "context_length": 64, "width": 128, "layers": 4, "dropout": 0,
///  "gelu": "tanh", "feed_forward_expansion": 4,
///  "mixer": {"attention": {"heads": 4, "normalizer": "softmax", "positions": "learned"}}}
/// ```
/// or, for the state-space LM, `"mixer": {"long_convolution": {"kernel": {"s4d": {"state_size": 64}}}}`.
/// `"feed_forward_layers": {"type": "monarch", "blocks": 4}` makes both linear maps of every block's MLP Monarch
/// layers (``LinearLayerKind``). `dropout`, `gelu`, `feed_forward_expansion`, `feed_forward_layers` and
/// `layer_norm_epsilon` may be left out (0, `"tanh"`, 4, dense, 1e-5). The normalizer is
/// `"softmax"`, `"entmax15"`, `"sparsemax"` or `{"entmax": {"alpha": 1.3}}`.
/// ``validate()`` checks that the sizes fit together; ``LanguageModel/init(_:adapters:)`` calls it.
public struct LanguageModelConfiguration: Codable, Sendable, Equatable {
  /// The number of token ids (256 for bytes).
  public var vocabularySize: Int
  /// The longest sequence the model reads: the rows of the position table and the KV cache.
  public var contextLength: Int
  /// The width of the residual stream.
  public var width: Int
  /// The number of blocks.
  public var layers: Int
  /// The dropout rate on the embeddings, on each block's two residual branches and on the attention weights
  /// (nanoGPT's `dropout`), in `[0, 1)`.
  public var dropout: Double
  /// The form of the MLP's GELU (`"none"`: exact; `"tanh"`: GPT-2's).
  public var gelu: GELU.Approximation
  /// The MLP's hidden width as a multiple of ``width`` (4 in GPT-2).
  public var feedForwardExpansion: Int
  /// The sequence mixer of every block.
  public var mixer: SequenceMixerConfiguration
  /// The kind of both linear maps of every block's MLP (`mlp.c_fc`, `mlp.c_proj`): dense, or Monarch with
  /// its factors under `mlp.c_fc.w1`, `mlp.c_fc.w2`.
  public var feedForwardLayers: LinearLayerKind
  /// The `eps` of every LayerNorm (GPT-2's `layer_norm_epsilon`, 1e-5).
  public var layerNormEpsilon: Float

  /// Bundles the choices.
  public init(
    vocabularySize: Int, contextLength: Int, width: Int, layers: Int, dropout: Double = 0,
    gelu: GELU.Approximation = .tanh, feedForwardExpansion: Int = 4, mixer: SequenceMixerConfiguration,
    feedForwardLayers: LinearLayerKind = .dense, layerNormEpsilon: Float = 1e-5
  ) {
    self.vocabularySize = vocabularySize
    self.contextLength = contextLength
    self.width = width
    self.layers = layers
    self.dropout = dropout
    self.gelu = gelu
    self.feedForwardExpansion = feedForwardExpansion
    self.mixer = mixer
    self.feedForwardLayers = feedForwardLayers
    self.layerNormEpsilon = layerNormEpsilon
  }

  // snake_case in files, as every other key of a run's config.json.
  private enum CodingKeys: String, CodingKey {
    case vocabularySize = "vocabulary_size", contextLength = "context_length", width, layers, dropout, gelu
    case feedForwardExpansion = "feed_forward_expansion", mixer, feedForwardLayers = "feed_forward_layers"
    case layerNormEpsilon = "layer_norm_epsilon"
  }

  /// Decodes a configuration; `dropout`, `gelu`, `feedForwardExpansion`, `feedForwardLayers` and
  /// `layerNormEpsilon` take their defaults when absent.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      vocabularySize: try container.decode(Int.self, forKey: .vocabularySize),
      contextLength: try container.decode(Int.self, forKey: .contextLength),
      width: try container.decode(Int.self, forKey: .width), layers: try container.decode(Int.self, forKey: .layers),
      dropout: try container.decodeIfPresent(Double.self, forKey: .dropout) ?? 0,
      gelu: try container.decodeIfPresent(GELU.Approximation.self, forKey: .gelu) ?? .tanh,
      feedForwardExpansion: try container.decodeIfPresent(Int.self, forKey: .feedForwardExpansion) ?? 4,
      mixer: try container.decode(SequenceMixerConfiguration.self, forKey: .mixer),
      feedForwardLayers: try container.decodeIfPresent(LinearLayerKind.self, forKey: .feedForwardLayers) ?? .dense,
      layerNormEpsilon: try container.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5)
  }

  /// A Transformer LM (nanoGPT's architecture with softmax attention and learned positions by default).
  public static func transformer(
    vocabularySize: Int, contextLength: Int, width: Int, layers: Int, heads: Int,
    normalizer: AttentionNormalizer = .softmax, positions: PositionEncoding = .learned, dropout: Double = 0,
    gelu: GELU.Approximation = .tanh, feedForwardLayers: LinearLayerKind = .dense
  ) -> LanguageModelConfiguration {
    LanguageModelConfiguration(
      vocabularySize: vocabularySize, contextLength: contextLength, width: width, layers: layers,
      dropout: dropout, gelu: gelu,
      mixer: .attention(heads: heads, normalizer: normalizer, positions: positions), feedForwardLayers: feedForwardLayers)
  }

  /// A state-space LM: the same stack with a long-convolution mixer.
  public static func stateSpace(
    vocabularySize: Int, contextLength: Int, width: Int, layers: Int,
    kernel: LongConvolution.Kernel = .s4d(stateSize: 64), dropout: Double = 0, gelu: GELU.Approximation = .tanh,
    feedForwardLayers: LinearLayerKind = .dense
  ) -> LanguageModelConfiguration {
    LanguageModelConfiguration(
      vocabularySize: vocabularySize, contextLength: contextLength, width: width, layers: layers,
      dropout: dropout, gelu: gelu, mixer: .longConvolution(kernel: kernel), feedForwardLayers: feedForwardLayers)
  }

  /// Checks that every size is positive and that the sizes fit together.
  ///
  /// - Throws: ``TrainingError`` naming the field (layer `"configuration"`): a non-positive size or LayerNorm
  ///   epsilon, a dropout rate outside `[0, 1)`, heads that do not divide the width, an odd rotary head size, an entmax `alpha`
  ///   not above 1, an odd S4D state size, an RTF order not below the context, or Monarch blocks that do not
  ///   fit the MLP's widths (``TrainingError/invalidMonarchLayout(layer:reason:)``).
  public func validate() throws(TrainingError) {
    let layer = "configuration"
    try requirePositive(vocabularySize, "vocabularySize", layer)
    try requirePositive(contextLength, "contextLength", layer)
    try requirePositive(width, "width", layer)
    try requirePositive(layers, "layers", layer)
    try requirePositive(feedForwardExpansion, "feedForwardExpansion", layer)
    try requirePositive(Double(layerNormEpsilon), "layerNormEpsilon", layer)
    guard vocabularySize <= Int(Int32.max) else {
      throw .invalidSize(layer: layer, name: "vocabularySize", value: vocabularySize, requirement: "must fit Int32")
    }
    guard dropout >= 0, dropout < 1 else { throw .invalidProbability(layer: "\(layer).dropout", value: dropout) }
    if case .monarch(let blocks) = feedForwardLayers {
      let hidden = width * feedForwardExpansion
      for (name, input, output) in [("mlp.c_fc", width, hidden), ("mlp.c_proj", hidden, width)] {
        do {
          _ = try MonarchLayout(inFeatures: input, outFeatures: output, blocks: blocks)
        } catch {
          throw .invalidMonarchLayout(layer: "\(layer).feedForwardLayers (\(name))", reason: "\(error)")
        }
      }
    }
    switch mixer {
    case .attention(let heads, let normalizer, let positions):
      try requirePositive(heads, "heads", layer)
      guard width % heads == 0 else { throw .headsDoNotDivideWidth(layer: layer, heads: heads, width: width) }
      if positions == .rotary, (width / heads) % 2 != 0 {
        throw .oddSize(layer: layer, name: "width / heads (rotary head size)", value: width / heads)
      }
      if case .entmax(let alpha) = normalizer, !(alpha.isFinite && alpha > 1) {
        throw .invalidValue(layer: layer, name: "alpha (entmax, above 1)", value: alpha)
      }
    case .longConvolution(let kernel):
      switch kernel {
      case .s4d(let stateSize):
        try requirePositive(stateSize, "stateSize", layer)
        guard stateSize % 2 == 0 else { throw .oddSize(layer: layer, name: "stateSize", value: stateSize) }
      case .rtf(let order):
        try requirePositive(order, "order", layer)
        guard order < contextLength else {
          throw .invalidSize(
            layer: layer, name: "order", value: order, requirement: "must be below contextLength \(contextLength)")
        }
      }
    }
  }
}

/// The sequence mixer of a ``LanguageModel``'s blocks.
public enum SequenceMixerConfiguration: Codable, Sendable, Equatable {
  /// Causal multi-head self-attention (``CausalSelfAttention``) between GPT-2's `c_attn` and `c_proj`.
  case attention(heads: Int, normalizer: AttentionNormalizer, positions: PositionEncoding)
  /// A ``LongConvolution`` (its kernel period fixed to the context), GELU, and an output projection.
  case longConvolution(kernel: LongConvolution.Kernel)

  private enum CodingKeys: String, CodingKey { case attention, longConvolution = "long_convolution" }
}

/// The probability map that turns attention scores into weights.
public enum AttentionNormalizer: Codable, Sendable, Equatable {
  /// Softmax (the Transformer's).
  case softmax
  /// 1.5-entmax (sparse).
  case entmax15
  /// Sparsemax (2-entmax).
  case sparsemax
  /// α-entmax with `α > 1`.
  case entmax(alpha: Double)

  private enum CodingKeys: String, CodingKey { case entmax }
  private enum AlphaKeys: String, CodingKey { case alpha }

  /// Decodes `"softmax"`, `"entmax15"`, `"sparsemax"` or `{"entmax": {"alpha": α}}`.
  public init(from decoder: any Decoder) throws {
    if let name = try? decoder.singleValueContainer().decode(String.self) {
      switch name {
      case "softmax": self = .softmax
      case "entmax15": self = .entmax15
      case "sparsemax": self = .sparsemax
      default:
        throw DecodingError.dataCorrupted(
          DecodingError.Context(
            codingPath: decoder.codingPath,
            debugDescription: "unknown normalizer \"\(name)\" (softmax, entmax15, sparsemax or {\"entmax\": {\"alpha\": α}})"))
      }
      return
    }
    let alpha = try decoder.container(keyedBy: CodingKeys.self).nestedContainer(keyedBy: AlphaKeys.self, forKey: .entmax)
    self = .entmax(alpha: try alpha.decode(Double.self, forKey: .alpha))
  }

  /// Encodes the forms ``init(from:)`` reads.
  public func encode(to encoder: any Encoder) throws {
    switch self {
    case .softmax, .entmax15, .sparsemax:
      var container = encoder.singleValueContainer()
      try container.encode(self == .softmax ? "softmax" : self == .entmax15 ? "entmax15" : "sparsemax")
    case .entmax(let alpha):
      var container = encoder.container(keyedBy: CodingKeys.self)
      var nested = container.nestedContainer(keyedBy: AlphaKeys.self, forKey: .entmax)
      try nested.encode(alpha, forKey: .alpha)
    }
  }

  /// The map.
  ///
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` for an `α` the map rejects.
  public func map() throws(TrainingError) -> any ProbabilityMap {
    switch self {
    case .softmax: return Softmax.standard
    case .entmax15: return Entmax15()
    case .sparsemax: return Sparsemax()
    case .entmax(let alpha):
      do {
        return try Entmax(alpha: alpha)
      } catch {
        throw .invalidValue(layer: "configuration", name: "alpha (entmax)", value: alpha)
      }
    }
  }
}

/// How a Transformer LM knows positions.
public enum PositionEncoding: String, Codable, Sendable, Equatable, CaseIterable {
  /// A learned table added to the token embeddings (GPT-2's `wpe`).
  case learned
  /// Rotary embeddings on queries and keys (``RotaryPositions``); no position table.
  case rotary
}
