import Foundation

/// The `adapter_config.json` of a Hugging Face PEFT LoRA adapter, field by field.
///
/// Coded with PEFT's snake_case keys (`peft_type`, `r`, `lora_alpha`, `target_modules`, `use_rslora`,
/// `rank_pattern`, ...). Decoding follows PEFT's loader: only `peft_type` is required, a missing field (or a
/// `null`) takes the default of PEFT's `LoraConfig` dataclass, and fields PEFT added for other features are
/// ignored. ``encodedJSON()`` writes every field, keys sorted and indented by 2 as PEFT's
/// `json.dumps(config, indent=2, sort_keys=True)` writes them.
///
/// ```swift
/// var configuration = PEFTAdapterConfiguration(rank: 8, alpha: 16, targetModules: .modules(["q_proj", "v_proj"]))
/// configuration.rankPattern = ["layers.0.q_proj": 4]
/// let scaling = try configuration.scaling(forModule: "model.layers.0.q_proj")   // r 4, α 16, s 4
/// ```
///
/// Only what this library implements is accepted by ``validate(file:)``: plain LoRA factors on linear maps,
/// without DoRA (`use_dora`), a trained bias on `lora_B` (`lora_bias`), trained base biases (`bias`) or modules
/// trained in full (`modules_to_save`).
///
/// ### See Also
/// - ``PEFTAdapter``
public struct PEFTAdapterConfiguration: Codable, Sendable, Equatable {
  /// How the factors were initialized (`init_lora_weights`): a boolean, or the name of a method such as
  /// `"gaussian"`, `"pissa"` or `"lora_ga"`.
  public enum Initialization: Codable, Sendable, Equatable {
    /// `true` (Kaiming-uniform A, zero B) or `false` (random A and B; for tests).
    case standard(Bool)
    /// A named initialization.
    case method(String)

    /// Decodes a JSON boolean or string.
    ///
    /// - Throws: `DecodingError` for any other JSON value.
    public init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let flag = try? container.decode(Bool.self) {
        self = .standard(flag)
      } else {
        self = .method(try container.decode(String.self))
      }
    }

    /// Encodes the boolean or the string.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .standard(let flag): try container.encode(flag)
      case .method(let name): try container.encode(name)
      }
    }
  }

  /// The name PEFT gives this file inside an adapter folder.
  public static let fileName = "adapter_config.json"
  /// The only `peft_type` this library reads and writes.
  public static let loraType = "LORA"
  /// The largest configuration file read, in bytes (a rank pattern for every module of a very large model
  /// stays far below it).
  public static let maximumFileBytes = 16 << 20

  /// `peft_type`: always ``loraType`` once validated.
  public var peftType: String
  /// `r`: the rank of every module no ``rankPattern`` entry matches (PEFT's default 8).
  public var rank: Int
  /// `lora_alpha`: α of every module no ``alphaPattern`` entry matches (default 8); a float after the
  /// rsLoRA rank-2r conversion.
  public var alpha: Double
  /// `target_modules`: the modules that get an adapter, or `nil` for PEFT's per-architecture default.
  public var targetModules: LoRATargets?
  /// `exclude_modules`: modules never adapted even when ``targetModules`` selects them.
  public var excludeModules: LoRATargets?
  /// `use_rslora`: the scale is `α/√r` instead of `α/r`.
  public var useRSLoRA: Bool
  /// `use_dora`: weight-decomposed LoRA; not supported here.
  public var useDoRA: Bool
  /// `lora_dropout`: the dropout probability on the adapter's input while training.
  public var dropout: Double
  /// `bias`: which biases the adapter trains, `"none"`, `"all"` or `"lora_only"`; only `"none"` is supported.
  public var bias: String
  /// `fan_in_fan_out`: the base weights are stored `in × out` (GPT-2's `Conv1D`), so the update `s·B·A` is
  /// transposed before it is added to them; the factors keep their shapes.
  public var fanInFanOut: Bool
  /// `lora_bias`: a trained bias on `lora_B`; not supported here.
  public var loraBias: Bool
  /// `rank_pattern`: per-module ranks, each key a regular expression matched as `(.*\.)?(key)$` against the
  /// module name.
  public var rankPattern: [String: Int]
  /// `alpha_pattern`: per-module α, keys as in ``rankPattern``.
  public var alphaPattern: [String: Double]
  /// `init_lora_weights`: `true` in files meant for the original base weights.
  public var initialization: Initialization
  /// `inference_mode`: PEFT sets it when saving, so that a loaded adapter is frozen by default.
  public var inferenceMode: Bool
  /// `base_model_name_or_path`: the base model's hub name or folder, if known.
  public var baseModelNameOrPath: String?
  /// `revision`: the base model's revision, if known.
  public var revision: String?
  /// `task_type`: PEFT's task, such as `"CAUSAL_LM"`, or `nil` for a plain module.
  public var taskType: String?
  /// `modules_to_save`: modules trained in full and saved beside the adapter; not supported here.
  public var modulesToSave: [String]?
  /// `layers_to_transform`: the layer indices a list-valued ``targetModules`` is limited to (a single index in
  /// the file reads as a one-element list).
  public var layersToTransform: [Int]?
  /// `layers_pattern`: the names of the module lists whose index ``layersToTransform`` refers to (a single
  /// name in the file reads as a one-element list).
  public var layersPattern: [String]?
  /// `peft_version`: the version of the program that wrote the file.
  public var peftVersion: String?

  /// A LoRA configuration with PEFT's defaults for everything not given.
  ///
  /// - Parameters:
  ///   - rank: `r`.
  ///   - alpha: `lora_alpha`.
  ///   - targetModules: `target_modules`.
  ///   - useRSLoRA: `use_rslora`.
  ///   - rankPattern: `rank_pattern`.
  ///   - alphaPattern: `alpha_pattern`.
  ///   - fanInFanOut: `fan_in_fan_out`.
  ///   - dropout: `lora_dropout`.
  ///   - initialization: `init_lora_weights`.
  public init(
    rank: Int = 8, alpha: Double = 8, targetModules: LoRATargets? = nil, useRSLoRA: Bool = false,
    rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:], fanInFanOut: Bool = false,
    dropout: Double = 0, initialization: Initialization = .standard(true)
  ) {
    peftType = Self.loraType
    self.rank = rank
    self.alpha = alpha
    self.targetModules = targetModules
    excludeModules = nil
    self.useRSLoRA = useRSLoRA
    useDoRA = false
    self.dropout = dropout
    bias = "none"
    self.fanInFanOut = fanInFanOut
    loraBias = false
    self.rankPattern = rankPattern
    self.alphaPattern = alphaPattern
    self.initialization = initialization
    inferenceMode = false
    baseModelNameOrPath = nil
    revision = nil
    taskType = nil
    modulesToSave = nil
    layersToTransform = nil
    layersPattern = nil
    peftVersion = nil
  }

  private enum CodingKeys: String, CodingKey {
    case peftType = "peft_type", rank = "r", alpha = "lora_alpha", targetModules = "target_modules"
    case excludeModules = "exclude_modules", useRSLoRA = "use_rslora", useDoRA = "use_dora"
    case dropout = "lora_dropout", bias, fanInFanOut = "fan_in_fan_out", loraBias = "lora_bias"
    case rankPattern = "rank_pattern", alphaPattern = "alpha_pattern", initialization = "init_lora_weights"
    case inferenceMode = "inference_mode", baseModelNameOrPath = "base_model_name_or_path", revision
    case taskType = "task_type", modulesToSave = "modules_to_save", layersToTransform = "layers_to_transform"
    case layersPattern = "layers_pattern", peftVersion = "peft_version"
  }

  /// Decodes PEFT's fields, giving each missing or `null` field PEFT's default.
  ///
  /// - Throws: `DecodingError` when `peft_type` is missing or a field has the wrong JSON type.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init()
    peftType = try c.decode(String.self, forKey: .peftType)
    rank = try c.decodeIfPresent(Int.self, forKey: .rank) ?? rank
    alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? alpha
    targetModules = try c.decodeIfPresent(LoRATargets.self, forKey: .targetModules)
    excludeModules = try c.decodeIfPresent(LoRATargets.self, forKey: .excludeModules)
    useRSLoRA = try c.decodeIfPresent(Bool.self, forKey: .useRSLoRA) ?? useRSLoRA
    useDoRA = try c.decodeIfPresent(Bool.self, forKey: .useDoRA) ?? useDoRA
    dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? dropout
    bias = try c.decodeIfPresent(String.self, forKey: .bias) ?? bias
    fanInFanOut = try c.decodeIfPresent(Bool.self, forKey: .fanInFanOut) ?? fanInFanOut
    loraBias = try c.decodeIfPresent(Bool.self, forKey: .loraBias) ?? loraBias
    rankPattern = try c.decodeIfPresent([String: Int].self, forKey: .rankPattern) ?? rankPattern
    alphaPattern = try c.decodeIfPresent([String: Double].self, forKey: .alphaPattern) ?? alphaPattern
    initialization = try c.decodeIfPresent(Initialization.self, forKey: .initialization) ?? initialization
    inferenceMode = try c.decodeIfPresent(Bool.self, forKey: .inferenceMode) ?? inferenceMode
    baseModelNameOrPath = try c.decodeIfPresent(String.self, forKey: .baseModelNameOrPath)
    revision = try c.decodeIfPresent(String.self, forKey: .revision)
    taskType = try c.decodeIfPresent(String.self, forKey: .taskType)
    modulesToSave = try c.decodeIfPresent([String].self, forKey: .modulesToSave)
    layersToTransform = try Self.decodeOneOrMany(Int.self, c, .layersToTransform)
    layersPattern = try Self.decodeOneOrMany(String.self, c, .layersPattern)
    peftVersion = try c.decodeIfPresent(String.self, forKey: .peftVersion)
  }

  /// A value that PEFT allows as one element or a list of them, read as a list.
  private static func decodeOneOrMany<T: Decodable>(
    _ type: T.Type, _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
  ) throws -> [T]? {
    if let one = try? container.decodeIfPresent(T.self, forKey: key) { return [one] }
    return try container.decodeIfPresent([T].self, forKey: key)
  }

  /// Encodes every field, `null` for those not set, as PEFT writes them.
  ///
  /// - Throws: What the encoder throws (a JSON encoder throws for an `alpha` that is not finite).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(peftType, forKey: .peftType)
    try c.encode(rank, forKey: .rank)
    try c.encode(alpha, forKey: .alpha)
    try c.encode(targetModules, forKey: .targetModules)
    try c.encode(excludeModules, forKey: .excludeModules)
    try c.encode(useRSLoRA, forKey: .useRSLoRA)
    try c.encode(useDoRA, forKey: .useDoRA)
    try c.encode(dropout, forKey: .dropout)
    try c.encode(bias, forKey: .bias)
    try c.encode(fanInFanOut, forKey: .fanInFanOut)
    try c.encode(loraBias, forKey: .loraBias)
    try c.encode(rankPattern, forKey: .rankPattern)
    try c.encode(alphaPattern, forKey: .alphaPattern)
    try c.encode(initialization, forKey: .initialization)
    try c.encode(inferenceMode, forKey: .inferenceMode)
    try c.encode(baseModelNameOrPath, forKey: .baseModelNameOrPath)
    try c.encode(revision, forKey: .revision)
    try c.encode(taskType, forKey: .taskType)
    try c.encode(modulesToSave, forKey: .modulesToSave)
    try c.encode(layersToTransform, forKey: .layersToTransform)
    try c.encode(layersPattern, forKey: .layersPattern)
    try c.encode(peftVersion, forKey: .peftVersion)
  }
}

// MARK: - JSON files

extension PEFTAdapterConfiguration {
  /// Decodes and validates the contents of an `adapter_config.json`.
  ///
  /// - Parameters:
  ///   - bytes: The file's contents.
  ///   - file: Names the file in errors.
  /// - Throws: ``LoRAError/invalidJSON(file:reason:)`` for text that is not JSON (with the position the parser
  ///   reports), not an object, or a field of the wrong type (named); ``LoRAError/invalidField(file:field:reason:)``
  ///   when `peft_type` is missing; ``LoRAError/unsupportedPEFTType(file:type:)`` for a type other than
  ///   `"LORA"`; what ``validate(file:)`` throws.
  public init(jsonBytes bytes: [UInt8], file: String) throws(LoRAError) {
    let data = Data(bytes)
    let type: String?
    do {
      type = try JSONDecoder().decode(TypeField.self, from: data).peftType
    } catch {
      throw .invalidJSON(file: file, reason: Self.describe(error, data: data))
    }
    guard let type else { throw .invalidField(file: file, field: "peft_type", reason: "missing; PEFT requires it") }
    guard type == Self.loraType else { throw .unsupportedPEFTType(file: file, type: type) }
    do {
      self = try JSONDecoder().decode(Self.self, from: data)
    } catch {
      throw .invalidJSON(file: file, reason: Self.describe(error, data: data))
    }
    try validate(file: file)
  }

  /// The file's contents in PEFT's layout: every field, keys sorted, indented by 2, ending in a newline.
  ///
  /// - Throws: ``LoRAError/invalidField(file:field:reason:)`` when a value cannot be written as JSON (an α or a
  ///   dropout that is not finite).
  public func encodedJSON() throws(LoRAError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      return PEFTJSONLayout.indented(Array(try encoder.encode(self))) + Array("\n".utf8)
    } catch {
      throw .invalidField(
        file: Self.fileName, field: "lora_alpha, alpha_pattern or lora_dropout",
        reason: "a value that is not finite cannot be written as JSON (\(error))")
    }
  }

  /// Only `peft_type`, decoded first so that another adapter type gets its own error before its fields are read.
  private struct TypeField: Decodable {
    var peftType: String?
    enum CodingKeys: String, CodingKey { case peftType = "peft_type" }
  }

  /// A decoding error as a short reason: the field path and what is wrong, or the parser's position.
  private static func describe(_ error: any Error, data: Data) -> String {
    func path(_ codingPath: [any CodingKey]) -> String {
      codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error as? DecodingError {
    case .typeMismatch(_, let context) where context.codingPath.isEmpty:
      return "the top level is not an object"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(path(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
      return "\(path(context.codingPath + [key])): missing"
    case .dataCorrupted(let context) where !context.codingPath.isEmpty:
      return "\(path(context.codingPath)): \(context.debugDescription)"
    default:
      // The decoder does not say where the text stops being JSON; the serialization parser does.
      do {
        _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        return "\(error)"
      } catch {
        return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
      }
    }
  }
}

// MARK: - Validation

extension PEFTAdapterConfiguration {
  /// Checks that the configuration describes an adapter this library can apply exactly as PEFT does.
  ///
  /// - Parameter file: Names the file in errors.
  /// - Throws: ``LoRAError/unsupportedPEFTType(file:type:)``;
  ///   ``LoRAError/unsupportedFeature(file:field:reason:)`` for `use_dora`, `lora_bias`, `modules_to_save` or a
  ///   `bias` other than `"none"`; ``LoRAError/invalidField(file:field:reason:)`` for a rank below 1, an α that is not finite and positive, a dropout outside `0..<1`, or a pattern that is
  ///   not a valid regular expression (field and key named).
  public func validate(file: String) throws(LoRAError) {
    guard peftType == Self.loraType else { throw .unsupportedPEFTType(file: file, type: peftType) }
    if useDoRA {
      throw .unsupportedFeature(
        file: file, field: "use_dora", reason: "DoRA adapters (lora_magnitude_vector) are not implemented")
    }
    if loraBias {
      throw .unsupportedFeature(file: file, field: "lora_bias", reason: "a trained bias on lora_B is not implemented")
    }
    if let modulesToSave, !modulesToSave.isEmpty {
      throw .unsupportedFeature(
        file: file, field: "modules_to_save", reason: "modules trained in full beside the adapter are not implemented")
    }
    guard bias == "none" else {
      throw .unsupportedFeature(
        file: file, field: "bias", reason: "\"\(bias)\" trains base biases, which are not implemented; only \"none\"")
    }
    try Self.checkRank(rank, file: file, field: "r")
    try Self.checkAlpha(alpha, file: file, field: "lora_alpha")
    for (key, value) in rankPattern { try Self.checkRank(value, file: file, field: "rank_pattern[\"\(key)\"]") }
    for (key, value) in alphaPattern { try Self.checkAlpha(value, file: file, field: "alpha_pattern[\"\(key)\"]") }
    guard dropout >= 0, dropout < 1 else {
      throw .invalidField(file: file, field: "lora_dropout", reason: "must lie in 0..<1, got \(dropout)")
    }
    do {
      _ = try LoRAPatternOverride.resolver(Self.overrides(rankPattern))
    } catch {
      throw Self.fieldError(error, file: file, field: "rank_pattern")
    }
    do {
      _ = try LoRAPatternOverride.resolver(Self.overrides(alphaPattern))
    } catch {
      throw Self.fieldError(error, file: file, field: "alpha_pattern")
    }
    for (selection, field) in [(targetModules, "target_modules"), (excludeModules, "exclude_modules")] {
      do {
        _ = try selection?.matcher()
      } catch {
        throw Self.fieldError(error, file: file, field: field)
      }
    }
    for name in layersPattern ?? [] { _ = try Self.layerIndexRegex(name, file: file) }
  }

  private static func checkRank(_ rank: Int, file: String, field: String) throws(LoRAError) {
    guard rank >= 1 else { throw .invalidField(file: file, field: field, reason: "a rank must be at least 1, got \(rank)") }
  }

  private static func checkAlpha(_ alpha: Double, file: String, field: String) throws(LoRAError) {
    guard alpha.isFinite, alpha > 0 else {
      throw .invalidField(file: file, field: field, reason: "must be finite and positive, got \(alpha)")
    }
  }
}
