import Foundation
import NN

/// The fields of a GPT-2 folder's `config.json` (Hugging Face's `GPT2Config`) that decide the model, checked
/// and mapped onto a `LanguageModelConfiguration`.
///
/// Supported: `model_type` `"gpt2"`; `vocab_size`, `n_positions`, `n_embd`, `n_layer`, `n_head`; `n_inner`
/// absent, `null` or a multiple of `n_embd`; `activation_function` `gelu_new`, `gelu_pytorch_tanh`,
/// `gelu_fast` (the tanh form) or `gelu` (exact); `layer_norm_epsilon` (default 1e-5). Refused, naming the
/// field: `scale_attn_by_inverse_layer_idx`, `add_cross_attention` or untied embeddings
/// (`tie_word_embeddings: false`), and attention without its `1/√d` scale (`scale_attn_weights: false`).
/// Dropout rates are ignored (inference).
public struct GPT2Configuration: Sendable, Equatable {
  /// The number of token ids (`vocab_size`).
  public let vocabularySize: Int
  /// The rows of the position table (`n_positions`).
  public let contextLength: Int
  /// The residual width (`n_embd`).
  public let width: Int
  /// The number of blocks (`n_layer`).
  public let layers: Int
  /// The attention heads (`n_head`).
  public let heads: Int
  /// The MLP's hidden width (`n_inner`, or `4 · n_embd`).
  public let innerWidth: Int
  /// The GELU's form.
  public let gelu: GELU.Approximation
  /// The LayerNorms' `eps` (`layer_norm_epsilon`).
  public let layerNormEpsilon: Float

  /// The activation names `activation_function` may take.
  public static let supportedActivations = ["gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu"]

  /// Reads and checks `config.json`.
  ///
  /// - Throws: ``PretrainedModelError/unreadableFile(file:reason:)``,
  ///   ``PretrainedModelError/unsupportedArchitecture(file:architecture:supported:)`` for a `model_type` other
  ///   than `gpt2`, ``PretrainedModelError/invalidConfiguration(file:field:reason:)`` naming the field.
  public init(contentsOf url: URL) throws(PretrainedModelError) {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw .unreadableFile(file: url.path, reason: "cannot be read (\((error as NSError).localizedDescription))")
    }
    try self.init(json: data, file: url.path)
  }

  /// Checks the text of a `config.json`.
  ///
  /// - Parameters:
  ///   - json: The file's bytes.
  ///   - file: Names the file in errors.
  /// - Throws: What ``init(contentsOf:)`` throws for the fields.
  public init(json: Data, file: String) throws(PretrainedModelError) {
    let fields: Fields
    do {
      fields = try JSONDecoder().decode(Fields.self, from: json)
    } catch let DecodingError.typeMismatch(type, context) {
      throw .invalidConfiguration(
        file: file, field: context.codingPath.map(\.stringValue).joined(separator: "."), reason: "expected \(type)")
    } catch {
      throw .invalidConfiguration(file: file, field: "(root)", reason: "not a JSON object of GPT-2's fields")
    }
    let modelType = fields.modelType ?? "(missing)"
    guard modelType == "gpt2" else {
      throw .unsupportedArchitecture(file: file, architecture: modelType, supported: ["gpt2"])
    }
    func positive(_ value: Int?, _ field: String) throws(PretrainedModelError) -> Int {
      guard let value, value > 0 else {
        throw .invalidConfiguration(
          file: file, field: field, reason: "expected a positive integer, got \(value.map(String.init) ?? "nothing")")
      }
      return value
    }
    vocabularySize = try positive(fields.vocabularySize, "vocab_size")
    contextLength = try positive(fields.positions, "n_positions")
    width = try positive(fields.width, "n_embd")
    layers = try positive(fields.layers, "n_layer")
    heads = try positive(fields.heads, "n_head")
    guard width % heads == 0 else {
      throw .invalidConfiguration(file: file, field: "n_head", reason: "\(heads) heads do not divide n_embd \(width)")
    }
    innerWidth = try fields.inner.map { (inner) throws(PretrainedModelError) in try positive(inner, "n_inner") } ?? 4 * width
    guard innerWidth % width == 0 else {
      throw .invalidConfiguration(
        file: file, field: "n_inner", reason: "\(innerWidth) is not a multiple of n_embd \(width) (not supported)")
    }
    let activation = fields.activation ?? "gelu_new"
    switch activation {
    case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": gelu = .tanh
    case "gelu": gelu = .none
    default:
      throw .invalidConfiguration(
        file: file, field: "activation_function",
        reason: "'\(activation)' is not supported (supported: \(Self.supportedActivations.joined(separator: ", ")))")
    }
    let epsilon = fields.layerNormEpsilon ?? 1e-5
    guard epsilon.isFinite, epsilon > 0 else {
      throw .invalidConfiguration(file: file, field: "layer_norm_epsilon", reason: "expected a positive number, got \(epsilon)")
    }
    layerNormEpsilon = Float(epsilon)
    let flags: [(value: Bool?, field: String, supported: Bool, meaning: String)] = [
      (fields.scaleAttentionWeights, "scale_attn_weights", true, "attention without the 1/sqrt(head size) scale"),
      (fields.scaleByInverseLayerIndex, "scale_attn_by_inverse_layer_idx", false, "attention scaled by 1/(layer index + 1)"),
      (fields.crossAttention, "add_cross_attention", false, "cross-attention"),
      (fields.tiedEmbeddings, "tie_word_embeddings", true, "an output head separate from wte"),
    ]
    for flag in flags where (flag.value ?? flag.supported) != flag.supported {
      throw .invalidConfiguration(file: file, field: flag.field, reason: "\(flag.meaning) is not supported")
    }
  }

  /// The fields read, each optional so that a missing one gets an error naming it.
  private struct Fields: Decodable {
    let modelType: String?
    let vocabularySize, positions, width, layers, heads, inner: Int?
    let activation: String?
    let layerNormEpsilon: Double?
    let scaleAttentionWeights, scaleByInverseLayerIndex, crossAttention, tiedEmbeddings: Bool?

    private enum CodingKeys: String, CodingKey {
      case modelType = "model_type", vocabularySize = "vocab_size", positions = "n_positions", width = "n_embd"
      case layers = "n_layer", heads = "n_head", inner = "n_inner", activation = "activation_function"
      case layerNormEpsilon = "layer_norm_epsilon", scaleAttentionWeights = "scale_attn_weights"
      case scaleByInverseLayerIndex = "scale_attn_by_inverse_layer_idx", crossAttention = "add_cross_attention"
      case tiedEmbeddings = "tie_word_embeddings"
    }
  }

  /// The same model as a `LanguageModelConfiguration` (softmax attention, learned positions, dense MLP).
  public var languageModel: LanguageModelConfiguration {
    LanguageModelConfiguration(
      vocabularySize: vocabularySize, contextLength: contextLength, width: width, layers: layers, dropout: 0,
      gelu: gelu, feedForwardExpansion: innerWidth / width,
      mixer: .attention(heads: heads, normalizer: .softmax, positions: .learned), layerNormEpsilon: layerNormEpsilon)
  }
}
