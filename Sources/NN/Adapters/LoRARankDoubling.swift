import TensorCore

extension LoRAFactors {
  /// The rank-`2r` adapter that applies the trained change to the original weight `W` rather than to the frozen
  /// `W − s·B₀·A₀` that LoRA-GA and PiSSA train against (the authors'
  /// `save_loraga_model_final`, PEFT's `path_initial_model_for_weight_conversion`).
  ///
  /// ```
  /// A' = [A_f ; A₀]    (2r × in, stacked on the rank axis)
  /// B' = [B_f , −B₀]   (out × 2r)
  /// B'·A' = B_f·A_f − B₀·A₀,   so   W + s·B'·A' = (W − s·B₀·A₀) + s·B_f·A_f
  /// ```
  ///
  /// Pair it with ``LoRAScaling/doublingRank()`` so that `s` is unchanged. The entries are copied (and `B₀`
  /// negated), so the result holds exactly the values of both pairs.
  ///
  /// - Parameters:
  ///   - trained: `A_f`, `B_f` after fine-tuning.
  ///   - initial: `A₀`, `B₀` as the initialization produced them.
  ///   - module: The layer's name, for errors.
  /// - Returns: Factors of rank `2r`.
  /// - Throws: ``LoRAError/conversionShapesDiffer(module:trained:initial:)`` unless both pairs have one shape.
  /// - Complexity: O(r · (in + out)).
  public static func convertedToOriginalWeight(
    trained: LoRAFactors, initial: LoRAFactors, module: String
  ) throws(LoRAError) -> LoRAFactors {
    guard trained.a.shape == initial.a.shape, trained.b.shape == initial.b.shape else {
      throw .conversionShapesDiffer(
        module: module, trained: [trained.a.shape, trained.b.shape], initial: [initial.a.shape, initial.b.shape])
    }
    let (r, out) = (trained.rank, trained.outputFeatures)
    let a = Tensor(shape: [2 * r, trained.inputFeatures], scalars: trained.a.scalars + initial.a.scalars)
    var b = [Float](repeating: 0, count: out * 2 * r)
    for row in 0..<out {
      for column in 0..<r {
        b[row * 2 * r + column] = trained.b.scalars[row * r + column]
        b[row * 2 * r + r + column] = -initial.b.scalars[row * r + column]
      }
    }
    return try LoRAFactors(a: a, b: Tensor(shape: [out, 2 * r], scalars: b), module: module)
  }
}

extension LoRAScaling {
  /// The scale rule of the rank-`2r` conversion, with the same scale `s`: `r ← 2r`, and `α ← 2α`, or
  /// `α ← √2·α` with rsLoRA (`2α/2r = α/r`, `√2α/√(2r) = α/√r`).
  public func doublingRank() -> LoRAScaling {
    var doubled = self
    doubled.rank = 2 * rank
    doubled.alpha = useRSLoRA ? alpha * 2.0.squareRoot() : 2 * alpha
    return doubled
  }
}
