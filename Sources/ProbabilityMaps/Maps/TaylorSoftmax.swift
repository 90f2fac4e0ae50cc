import TensorCore

/// Second-order Taylor softmax: `pᵢ = f(xᵢ)/Σⱼ f(xⱼ)` with `f(x) = 1 + x + x²/2` (de Brébisson & Vincent, 2016).
///
/// `f > 0` everywhere, so the map is dense; it has polynomial tails, and it is neither monotone
/// (`f(−2) = f(0)`) nor translation invariant. Masked (`-inf`) scores are excluded explicitly (`f` itself
/// would grow there). The backward is `∂L/∂xⱼ = f′(xⱼ)(uⱼ − ⟨u, p⟩)/Σf` with `f′(x) = 1 + x`.
public struct TaylorSoftmax: ProbabilityMap {
  /// Creates the second-order Taylor softmax.
  public init() {}

  /// The factor `s` by which a row is divided before `f` is evaluated: 1, or the largest finite magnitude in
  /// the row when its square would overflow `Double`.
  static func rowScale<S: ProbabilityScalar>(_ x: UnsafeBufferPointer<S>) -> Double {
    var largest = 0.0
    for value in x where value.isFinite { largest = max(largest, abs(Double(value))) }
    return largest > 1e150 ? largest : 1
  }

  /// `f(x)/s² = (1/s)² + (x/s)/s + (x/s)²/2` in `Double` (0 for an excluded score): the numerator up to the
  /// row's common factor `s²`, finite for every finite `x`.
  @inline(__always)
  static func scaledNumerator<S: ProbabilityScalar>(_ x: S, scale: Double) -> Double {
    guard x != -.infinity else { return 0 }
    let (inverse, y) = (1 / scale, Double(x) / scale)
    return inverse * inverse + y * inverse + 0.5 * y * y
  }

  /// The Taylor softmax of every row.
  ///
  /// `f` is evaluated in `Double` after dividing the row by its largest magnitude when that exceeds 10¹⁵⁰,
  /// so rows up to `Float.greatestFiniteMagnitude` and `Double.greatestFiniteMagnitude` come out right
  /// (scores of 10³⁰ used to overflow `x²` in `Float`).
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    try RowDriver.map(scores, length: n, into: output) { _, x, out, _ in
      let (maximum, isInvalid) = RowKernels.maximum(x)
      if RowDriver.settleDegenerateRow(maximum: maximum, isInvalid: isInvalid, out) { return }
      let scale = TaylorSoftmax.rowScale(x)
      var total = 0.0
      for value in x { total += TaylorSoftmax.scaledNumerator(value, scale: scale) }
      for i in 0..<x.count { out[i] = S(TaylorSoftmax.scaledNumerator(x[i], scale: scale) / total) }
    }
  }

  /// `f′(xⱼ)(uⱼ − ⟨u, p⟩)/Σf`, 0 at excluded scores, evaluated with the row scaling of ``forward(_:)``; NaN
  /// for a row whose scores, output or gradient hold a NaN or an infinity other than an excluded `-inf` score.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    try RowDriver.requireSameCount(output.count, "output", as: scores.count, "scores")
    guard let base = output.baseAddress else { return }
    try RowDriver.map(scores, gradient, length: n, into: result) { row, x, u, out in
      let p = UnsafeBufferPointer(start: base + row * n, count: n)
      let scale = TaylorSoftmax.rowScale(x)
      var (total, mean) = (0.0, 0.0)
      for i in 0..<n {
        total += TaylorSoftmax.scaledNumerator(x[i], scale: scale)
        mean += Double(u[i]) * Double(p[i])
      }
      let finite = x.allSatisfy { $0.isFinite || $0 == -.infinity } && u.allSatisfy(\.isFinite)
      guard finite, mean.isFinite, total > 0 else {
        out.update(repeating: finite && total == 0 ? 0 : .nan)
        return
      }
      for i in 0..<n {
        guard x[i] != -.infinity else {
          out[i] = 0
          continue
        }
        let slope = (1 / scale + Double(x[i]) / scale) / total / scale
        out[i] = S(slope * (Double(u[i]) - mean))
      }
    }
  }
}
