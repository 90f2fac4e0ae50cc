/// Which tensors of a checkpoint are the weights of linear maps (and in which orientation they are stored),
/// which are lookup tables, and which are neither: what a Monarch compression may replace.
///
/// | architecture (`model_type`) | linear maps | stored as | lookups |
/// |---|---|---|---|
/// | `bert`, `roberta`, `xlm-roberta`, `electra` | every other 2-D `*.weight` (query, key, value, dense, pooler, heads) | `out × in` (`nn.Linear`) | `*embeddings*`, the tied `cls.predictions.decoder.weight` |
/// | `gpt2` | `attn.c_attn`, `attn.c_proj`, `mlp.c_fc`, `mlp.c_proj` | `in × out` (`Conv1D`) | `wte`, `wpe`, the tied `lm_head.weight` |
/// | other 2-D `*.weight` of `gpt2` (`score`) | | `out × in` | |
/// | none (a bare `.safetensors` file) | every 2-D tensor that is not a lookup by name | `out × in` | names with `embeddings`, `embed_tokens`, `wte`, `wpe`, `token_type` |
///
/// Monarch factors always represent the `out × in` map `y = x Mᵀ`: a `Conv1D` weight is transposed before
/// it is projected (``Role/linear(inputMajor:)``).
public struct LinearMapCatalog: Sendable, Equatable {
  /// What a tensor is.
  public enum Role: Sendable, Equatable {
    /// The weight of a linear map; `inputMajor` when it is stored `in × out` (GPT-2's `Conv1D`) rather than
    /// `out × in` (`nn.Linear`).
    case linear(inputMajor: Bool)
    /// A lookup table (an embedding, or an output head tied to one): rows are read, not multiplied.
    case lookup
    /// Anything else (biases, norms, buffers, tensors that are not 2-D floating point).
    case other
  }

  /// The architecture families the catalog knows, by `model_type`.
  public static let bertFamily: Set<String> = ["bert", "roberta", "xlm-roberta", "electra"]
  /// The GPT-2 family, by `model_type`.
  public static let gpt2Family: Set<String> = ["gpt2"]

  /// The `model_type` the roles follow, or `nil` for the name-based rules of a bare checkpoint.
  public let architecture: String?

  /// The name-based rules of a bare `.safetensors` file (no configuration).
  public static let generic = LinearMapCatalog(uncheckedArchitecture: nil)

  private init(uncheckedArchitecture: String?) { architecture = uncheckedArchitecture }

  /// The catalog of a model folder's `model_type`.
  ///
  /// - Throws: ``PretrainedModelError/unsupportedArchitecture(file:architecture:supported:)`` naming `file`
  ///   when the architecture is not one the catalog knows.
  public init(modelType: String, file: String) throws {
    guard Self.bertFamily.contains(modelType) || Self.gpt2Family.contains(modelType) else {
      throw PretrainedModelError.unsupportedArchitecture(
        file: file, architecture: modelType, supported: (Self.bertFamily.union(Self.gpt2Family)).sorted())
    }
    architecture = modelType
  }

  /// Whether a tensor name is a lookup table by the name-based rule: a module path part that contains
  /// `embeddings` or `embed_tokens`, or is `wte`, `wpe` or `token_type_embeddings`.
  public static func isLookupName(_ name: String) -> Bool {
    name.split(separator: ".").contains { part in
      part.contains("embeddings") || part.contains("embed_tokens") || part == "wte" || part == "wpe"
        || part.contains("token_type")
    }
  }

  /// The role of the tensor `name` of shape `shape` stored as floating point (`floating`).
  public func role(of name: String, shape: [Int], floating: Bool) -> Role {
    guard shape.count == 2, floating else { return .other }
    if Self.isLookupName(name) { return .lookup }
    guard let architecture else { return .linear(inputMajor: false) }
    let parts = name.split(separator: ".")
    guard parts.last == "weight" else { return .other }
    if Self.gpt2Family.contains(architecture) {
      if name == "lm_head.weight" { return .lookup }
      let module = parts.dropLast().last.map(String.init) ?? ""
      return ["c_attn", "c_proj", "c_fc"].contains(module) ? .linear(inputMajor: true) : .linear(inputMajor: false)
    }
    if name.hasSuffix("predictions.decoder.weight") { return .lookup }
    return .linear(inputMajor: false)
  }
}
