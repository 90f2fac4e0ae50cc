/// The basis functions in which a HiPPO state holds the history, evaluated on the measure's window.
///
/// With `r_n = √(2n+1)`:
///
/// ```
/// LegS  f(t·x)    ≈ Σ c_n r_n P_n(2x − 1),   x ∈ [0, 1] (fraction of the history)
/// LegT  f(t − s)  ≈ Σ c_n r_n P_n(1 − 2s/θ), s ∈ [0, θ] (lag)
/// LagT  f(t − s)  ≈ Σ c_n L_n(s) e^{−s/2} / β, s ≥ 0
/// FouT  f(t − s)  ≈ c_0 + √2 Σ_k (c_{2k} cos πks + c_{2k+1} sin πks), s ∈ [0, 1]
/// ```
///
/// `P_n` are Legendre polynomials and `L_n` Laguerre polynomials, both by their three-term recurrences.
/// The Fourier frequencies `πk` match the `πk` rotation rates of ``HiPPO``'s FouT matrix.
public enum HiPPOBasis {
  /// The N basis values at a point of the measure's window (outside the window: zeros).
  ///
  /// - Parameters:
  ///   - measure: The measure.
  ///   - n: N.
  ///   - position: `x ∈ [0, 1]` for LegS, the lag `s ≥ 0` for the other measures.
  /// - Returns: N values; `Σ c_n value_n` is the reconstruction.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when N < 1 or the position is not finite.
  /// - Complexity: O(N).
  public static func evaluate(_ measure: HiPPOMeasure, order n: Int, at position: Double) throws -> [Double] {
    guard n >= 1 else { throw StateSpaceError.invalidParameter(operation: "HiPPO basis", parameter: "order N", value: "\(n)", requirement: "at least 1") }
    guard position.isFinite else {
      throw StateSpaceError.invalidParameter(operation: "HiPPO basis", parameter: "the position", value: "\(position)", requirement: "finite")
    }
    return values(measure, order: n, at: position)
  }

  /// ``evaluate(_:order:at:)`` for N ≥ 1 and a position that is finite or +∞ (far outside every window).
  static func values(_ measure: HiPPOMeasure, order n: Int, at position: Double) -> [Double] {
    var values = [Double](repeating: 0, count: n)
    switch measure {
    case .legS:
      legendre(2 * position - 1, into: &values)
    case .legT(let theta):
      guard position <= theta else { return values }
      legendre(1 - 2 * position / theta, into: &values)
    case .lagT(let beta):
      let weight = Double.exponential(-position / 2) / beta
      // Beyond s ≈ 1490 the weight underflows to 0 while L_n(s) may overflow: the product is 0.
      guard weight != 0 else { return values }
      var previous = 0.0
      var current = 1.0
      for k in 0..<n {
        values[k] = current * weight
        let next = ((Double(2 * k + 1) - position) * current - Double(k) * previous) / Double(k + 1)
        previous = current
        current = next
      }
    case .fouT:
      guard position <= 1 else { return values }
      values[0] = 1
      for k in stride(from: 2, to: n, by: 2) {
        let angle = Double.pi * Double(k / 2) * position
        values[k] = Double(2).squareRoot() * Double.cosine(angle)
        if k + 1 < n { values[k + 1] = Double(2).squareRoot() * Double.sine(angle) }
      }
    }
    return values
  }

  /// `r_n P_n(x)` for `n < values.count`.
  private static func legendre(_ x: Double, into values: inout [Double]) {
    var previous = 0.0
    var current = 1.0
    for k in 0..<values.count {
      values[k] = current * Double(2 * k + 1).squareRoot()
      let next = (Double(2 * k + 1) * x * current - Double(k) * previous) / Double(k + 1)
      previous = current
      current = next
    }
  }
}
