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
    }
  }
}
