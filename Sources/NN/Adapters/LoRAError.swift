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
    }
  }
}
