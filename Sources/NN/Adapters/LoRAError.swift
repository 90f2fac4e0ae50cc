/// What is wrong with a LoRA adapter, its configuration or its files, named by the module (layer) or field.
public enum LoRAError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A rank below 1, or above `maximum` (`min(in, out)` of the adapted layer) when known.
  case invalidRank(module: String, rank: Int, maximum: Int?)
  /// An `alpha` that is not finite and positive.
  case invalidAlpha(module: String, alpha: Double)
  /// `A` and `B` are not matrices `r × in` and `out × r` of one rank.
  case factorShapesDisagree(module: String, a: [Int], b: [Int])
  /// The factors do not fit the layer they adapt (`expected` is `[out, in]` of the layer).
  case shapeMismatch(module: String, expected: [Int], a: [Int], b: [Int])
  /// An adapter file is missing or cannot be read (`reason` says why).
  case unreadableFile(file: String, reason: String)
  /// An adapter file cannot be written (`reason` says why); nothing was left at the destination.
  case unwritableFile(file: String, reason: String)
  /// A configuration file is not valid JSON or a field has the wrong type (`reason` names the field or the
  /// position).
  case invalidJSON(file: String, reason: String)
  /// A PEFT configuration names a `peft_type` other than `"LORA"`.
  case unsupportedPEFTType(file: String, type: String)
  /// A configuration asks for a feature this library does not implement (DoRA, `lora_bias`, trained base
  /// biases).
  case unsupportedFeature(file: String, field: String, reason: String)
  /// A configuration field holds a value outside its domain (a rank below 1, an `alpha` that is not finite and
  /// positive, a pattern that is not a valid regular expression).
  case invalidField(file: String, field: String, reason: String)
  /// An adapter file lacks a tensor its other tensors imply (a module's `lora_B` without its `lora_A`).
  case missingTensor(file: String, key: String)
  /// An adapter file holds a tensor that is not a LoRA factor under `base_model.model.` (`reason` says what).
  case unexpectedTensor(file: String, key: String, reason: String)
  /// A stored factor's rank is not the rank the configuration gives its module (`rank_pattern` honoured).
  case rankDisagreesWithConfiguration(file: String, module: String, configured: Int, stored: Int)
  /// An adapter is asked for a module it does not adapt.
  case unknownModule(String)
  /// An adapter holds factors for a module its `target_modules` does not select, so PEFT would not load them.
  case moduleNotTargeted(file: String, module: String)
  /// A stored factor's shape is not what a LoRA factor needs (`reason` says what).
  case invalidTensorShape(file: String, key: String, shape: [Int], reason: String)
  /// The configuration cannot be converted to rank 2r (PEFT refuses rsLoRA together with rank or alpha
  /// patterns).
  case rankDoublingUnsupported(reason: String)

  public var description: String {
    switch self {
    case .invalidRank(let module, let rank, let maximum):
      if let maximum { return "\(module): LoRA rank \(rank) is outside 1...\(maximum) (min(in, out) of the layer)" }
      return "\(module): LoRA rank must be at least 1, got \(rank)"
    case .invalidAlpha(let module, let alpha): return "\(module): lora_alpha must be finite and positive, got \(alpha)"
    case .factorShapesDisagree(let module, let a, let b):
      return "\(module): lora_A \(a) and lora_B \(b) are not r × in and out × r of one rank r ≥ 1"
    case .shapeMismatch(let module, let expected, let a, let b):
      return "\(module): lora_A \(a) and lora_B \(b) do not fit the layer's weight [out, in] = \(expected)"
    case .unreadableFile(let file, let reason): return "\(file): cannot read: \(reason)"
    case .unwritableFile(let file, let reason): return "\(file): cannot write: \(reason)"
    case .invalidJSON(let file, let reason): return "\(file): invalid JSON: \(reason)"
    case .unsupportedPEFTType(let file, let type):
      return "\(file): peft_type \"\(type)\" is not supported; only \"LORA\" adapters are read"
    case .unsupportedFeature(let file, let field, let reason): return "\(file): \(field): not supported: \(reason)"
    case .invalidField(let file, let field, let reason): return "\(file): \(field): \(reason)"
    case .missingTensor(let file, let key): return "\(file): missing tensor '\(key)'"
    case .unexpectedTensor(let file, let key, let reason): return "\(file): unexpected tensor '\(key)': \(reason)"
    case .rankDisagreesWithConfiguration(let file, let module, let configured, let stored):
      return "\(file): \(module): the factors have rank \(stored) but the configuration gives this module rank \(configured)"
    case .unknownModule(let module): return "\(module): the adapter has no factors for this module"
    case .moduleNotTargeted(let file, let module):
      return "\(file): \(module): target_modules does not select this module, so PEFT would not load its factors"
    case .invalidTensorShape(let file, let key, let shape, let reason):
      return "\(file): tensor '\(key)' has shape \(shape): \(reason)"
    case .rankDoublingUnsupported(let reason): return "cannot convert the adapter to rank 2r: \(reason)"
    }
  }
}
