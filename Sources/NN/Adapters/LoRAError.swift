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
  /// The weight handed to an initialization is not a matrix `out × in` with both extents at least 1.
  case weightNotAMatrix(module: String, shape: [Int])
  /// The gradient handed to LoRA-GA does not have the weight's shape `[out, in]`.
  case gradientShapeMismatch(module: String, weight: [Int], gradient: [Int])
  /// LoRA-GA needs the gradient (`G`, the mean full-weight gradient) and none was given.
  case missingGradient(module: String, initialization: String)
  /// An input tensor (`tensor` is `"weight"` or `"gradient"`) holds NaN or an infinity.
  case nonFiniteInput(module: String, tensor: String)
  /// LoRA-GA takes `2r` singular vectors of the gradient, so `r` must be at most `maximum = min(in, out) / 2`.
  case gradientRankTooLarge(module: String, rank: Int, maximum: Int)
  /// An initialization parameter (the stable scale's gamma, a power-iteration count) is out of range.
  case invalidInitializationParameter(module: String, name: String, value: Double)
  /// The singular value decomposition behind an initialization failed.
  case decompositionFailed(module: String, tensor: String, reason: String)
  /// The rank-2r conversion needs trained and initial factors of one shape; `trained` and `initial` are the
  /// shapes `[A, B]` of each pair.
  case conversionShapesDiffer(module: String, trained: [[Int]], initial: [[Int]])
  /// An adapter name that is empty or has a dot (it is one component of the adapter's parameter names).
  case invalidAdapterName(String)
  /// A layer that already carries an adapter of this name.
  case duplicateAdapter(module: String, adapter: String)
  /// A layer that carries no adapter of this name.
  case unknownAdapter(module: String, adapter: String)
  /// An adapter dropout probability outside `[0, 1)`.
  case invalidDropout(adapter: String, probability: Double)
  /// A target regular expression that does not compile.
  case invalidTargetPattern(pattern: String, reason: String)
  /// Targets that match none of the model's linear modules (`candidates`).
  case noTargetMatched(targets: String, candidates: [String])
  /// Merging into the base is not representable for this layer (a Monarch base cannot hold `B·A`).
  case mergeUnsupported(module: String, reason: String)
  /// A merge of an adapter that is merged already.
  case adapterAlreadyMerged(module: String, adapter: String)
  /// An unmerge of an adapter that is not merged.
  case adapterNotMerged(module: String, adapter: String)
  /// A LoRA+ learning-rate ratio that is not finite and positive.
  case invalidLearningRateRatio(Double)
  /// A gradient estimate over fewer than one batch.
  case invalidBatchCount(Int)
  /// A gradient estimate asked of a model whose module already carries adapters (it needs the bare model).
  case modelHasAdapters(module: String)
  /// A gradient estimate for a module without a dense weight `out × in` (a Monarch layer has two factors).
  case gradientNeedsDenseWeight(module: String)
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
  /// A base checkpoint lacks the weight an adapter module merges into (`tensor`, `<module>.weight`);
  /// `related` lists the checkpoint's tensors under `<module>.`, if any (a Monarch layer's `w1` and `w2`).
  case baseTensorMissing(file: String, module: String, tensor: String, related: [String])
  /// A base checkpoint's weight cannot take its module's update (`reason` gives the weight's and the factors'
  /// shapes, or the element type, or the value that stopped being finite).
  case baseTensorMismatch(file: String, module: String, tensor: String, reason: String)
  /// The configuration cannot be converted to rank 2r (PEFT refuses rsLoRA together with rank or alpha
  /// patterns).
  case rankDoublingUnsupported(reason: String)

  /// A factor in an adapter file holds NaN or an infinity.
  case nonFiniteTensor(file: String, key: String)

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
    case .weightNotAMatrix(let module, let shape):
      return "\(module): the weight of shape \(shape) is not a matrix [out, in] with both extents at least 1"
    case .gradientShapeMismatch(let module, let weight, let gradient):
      return "\(module): the gradient of shape \(gradient) does not match the weight's shape \(weight)"
    case .missingGradient(let module, let initialization):
      return "\(module): the \(initialization) initialization needs the layer's mean weight gradient, and none was given"
    case .nonFiniteInput(let module, let tensor):
      return "\(module): the \(tensor) contains NaN or infinity"
    case .gradientRankTooLarge(let module, let rank, let maximum):
      return "\(module): LoRA-GA uses 2r singular vectors of the gradient, so the rank must be in 1...\(maximum) "
        + "(min(in, out) / 2), got \(rank)"
    case .invalidInitializationParameter(let module, let name, let value):
      return "\(module): initialization parameter \(name) = \(value) is out of range"
    case .decompositionFailed(let module, let tensor, let reason):
      return "\(module): the singular value decomposition of the \(tensor) failed: \(reason)"
    case .conversionShapesDiffer(let module, let trained, let initial):
      return "\(module): trained factors [lora_A, lora_B] \(trained) and initial factors \(initial) differ in shape"
    case .invalidAdapterName(let name): return "LoRA adapter name '\(name)' must be non-empty and have no '.'"
    case .duplicateAdapter(let module, let adapter): return "\(module): already has a LoRA adapter named '\(adapter)'"
    case .unknownAdapter(let module, let adapter): return "\(module): has no LoRA adapter named '\(adapter)'"
    case .invalidDropout(let adapter, let probability):
      return "LoRA adapter '\(adapter)': lora_dropout must be in [0, 1), got \(probability)"
    case .invalidTargetPattern(let pattern, let reason):
      return "LoRA target pattern '\(pattern)' is not a regular expression: \(reason)"
    case .noTargetMatched(let targets, let candidates):
      return "LoRA targets \(targets) match no module; the linear modules are: "
        + (candidates.isEmpty ? "(none)" : candidates.joined(separator: ", "))
    case .mergeUnsupported(let module, let reason): return "\(module): cannot merge a LoRA adapter: \(reason)"
    case .adapterAlreadyMerged(let module, let adapter): return "\(module): LoRA adapter '\(adapter)' is merged already"
    case .adapterNotMerged(let module, let adapter): return "\(module): LoRA adapter '\(adapter)' is not merged"
    case .invalidLearningRateRatio(let ratio):
      return "LoRA+ learning-rate ratio must be finite and positive, got \(ratio)"
    case .invalidBatchCount(let count): return "the LoRA-GA gradient needs at least 1 batch, got \(count)"
    case .modelHasAdapters(let module):
      return "\(module): the LoRA-GA gradient is taken on the model without adapters, but this module has one"
    case .gradientNeedsDenseWeight(let module):
      return "\(module): the LoRA-GA gradient needs a dense weight [out, in]; this layer is not dense"
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
    case .baseTensorMissing(let file, let module, let tensor, let related):
      return "\(file): has no tensor '\(tensor)' for the adapter's module \(module) to merge into"
        + (related.isEmpty ? "" : " (its tensors under '\(module).': \(related.joined(separator: ", ")))")
    case .baseTensorMismatch(let file, let module, let tensor, let reason):
      return "\(file): tensor '\(tensor)' cannot take the update of the adapter's module \(module): \(reason)"
    case .rankDoublingUnsupported(let reason): return "cannot convert the adapter to rank 2r: \(reason)"
    case .nonFiniteTensor(let file, let key):
      return "\(file): tensor '\(key)' holds NaN or an infinity; a LoRA factor must be finite"
    }
  }
}
