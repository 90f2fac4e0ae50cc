import TensorCore

/// The two factors of a low-rank adapter on a linear map `out × in`, in PEFT's layout: the update is
/// `ΔW = scale · B · A`.
public struct LoRAFactors: Sendable, Equatable {
  /// `lora_A.weight`: `rank × inputFeatures`.
  public var a: Tensor<Float>
  /// `lora_B.weight`: `outputFeatures × rank`.
  public var b: Tensor<Float>

  /// Factors from `a` (`rank × in`) and `b` (`out × rank`).
  ///
  /// - Throws: ``LoRAError/factorShapesDisagree(module:a:b:)`` unless both are matrices sharing the rank.
  public init(a: Tensor<Float>, b: Tensor<Float>, module: String = "adapter") throws(LoRAError) {
    guard a.shape.count == 2, b.shape.count == 2, a.shape[0] == b.shape[1], a.shape[0] > 0 else {
      throw .factorShapesDisagree(module: module, a: a.shape, b: b.shape)
    }
    self.a = a
    self.b = b
  }

  /// The adapter's rank `r`.
  public var rank: Int { a.shape[0] }
  /// The width of the adapted map's input.
  public var inputFeatures: Int { a.shape[1] }
  /// The width of the adapted map's output.
  public var outputFeatures: Int { b.shape[0] }
}

/// A LoRA adapter's rank and scale rule: `scale = α/r`, or `α/√r` with rsLoRA.
public struct LoRAScaling: Codable, Sendable, Equatable {
  /// The rank `r`.
  public var rank: Int
  /// `lora_alpha`.
  public var alpha: Double
  /// Whether the scale is `α/√r` (rsLoRA) instead of `α/r`.
  public var useRSLoRA: Bool

  /// A scale rule for rank `rank`.
  ///
  /// - Throws: ``LoRAError/invalidRank(module:rank:maximum:)`` for a rank below 1 and
  ///   ``LoRAError/invalidAlpha(module:alpha:)`` for an `alpha` that is not finite and positive.
  public init(rank: Int, alpha: Double, useRSLoRA: Bool = false, module: String = "adapter") throws(LoRAError) {
    guard rank > 0 else { throw .invalidRank(module: module, rank: rank, maximum: nil) }
    guard alpha.isFinite, alpha > 0 else { throw .invalidAlpha(module: module, alpha: alpha) }
    self.rank = rank
    self.alpha = alpha
    self.useRSLoRA = useRSLoRA
  }

  /// `s`: `α/r`, or `α/√r` with rsLoRA.
  public var scale: Double { useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank) }
}
