import TensorCore

/// Second-order Taylor softmax: `pᵢ = f(xᵢ)/Σⱼ f(xⱼ)` with `f(x) = 1 + x + x²/2` (de Brébisson & Vincent, 2016).
///
/// `f > 0` everywhere, so the map is dense; it has polynomial tails, and it is neither monotone
/// (`f(−2) = f(0)`) nor translation invariant. Masked (`-inf`) scores are excluded explicitly (`f` itself
/// would grow there). The backward is `∂L/∂xⱼ = f′(xⱼ)(uⱼ − ⟨u, p⟩)/Σf` with `f′(x) = 1 + x`.
public struct TaylorSoftmax: ProbabilityMap {
  /// Creates the second-order Taylor softmax.
  public init() {}

  /// `f(x) = 1 + x + x²/2`, and 0 for an excluded score.
  @inline(__always)
  static func numerator<S: ProbabilityScalar>(_ x: S) -> S {
    guard x != -.infinity else { return 0 }
    let half: S = 0.5
    return 1 + x + half * x * x
  }

  /// The Taylor softmax of every row.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(_ scores: Tensor<S>) throws -> Tensor<S> {
    _ = try RowDriver.rowShape(scores, name: "scores")
    return RowDriver.map(scores) { _, x, out, _ in
      let (maximum, isInvalid) = RowKernels.maximum(x)
      if RowDriver.settleDegenerateRow(maximum: maximum, isInvalid: isInvalid, out) { return }
      for i in 0..<x.count { out[i] = TaylorSoftmax.numerator(x[i]) }
      RowKernels.scale(out, by: 1 / RowKernels.sum(UnsafeBufferPointer(out)))
    }
  }

  /// `f′(xⱼ)(uⱼ − ⟨u, p⟩)/Σf`, 0 at excluded scores.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(scores: Tensor<S>, output: Tensor<S>, gradient: Tensor<S>) throws
    -> Tensor<S>
  {
    try checkBackwardShapes(scores: scores, output: output, gradient: gradient)
    let n = scores.shape.last ?? 1
    return output.scalars.withUnsafeBufferPointer { probabilities in
      let base = probabilities.baseAddress!
      return RowDriver.map(scores, gradient) { row, x, u, out in
        let p = UnsafeBufferPointer(start: base + row * n, count: n)
        var total: S = 0
        for value in x { total += TaylorSoftmax.numerator(value) }
        guard total > 0, total.isFinite else {
          out.update(repeating: total == 0 ? 0 : .nan)
          return
        }
        let mean = RowKernels.dot(u, p)
        for i in 0..<x.count { let slope: S = 1 + x[i]
          out[i] = x[i] == -.infinity ? 0 : slope * (u[i] - mean) / total }
      }
    }
  }
}
