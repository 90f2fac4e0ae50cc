import TensorCore

/// The standard initializations of the diagonal state matrix of S4D (N/2 stored eigenvalues, the other half
/// being their conjugates).
///
/// ```
/// S4D-Lin   A_n = −½ + iπn
/// S4D-Inv   A_n = −½ + i(N/π)(N/(2n+1) − 1)
/// S4D-Real  A_n = −(n+1)
/// S4D-LegS  A_n = Λ_n of the LegS DPLR decomposition (its low-rank term dropped)
/// ```
public enum S4DInitialization: String, Sendable, CaseIterable {
  /// Imaginary parts on a linear grid.
  case linear = "lin"
  /// Imaginary parts on an inverse-law grid.
  case inverse = "inv"
  /// Real eigenvalues `−1, −2, …` (Mamba's).
  case real = "real"
  /// The diagonal of the LegS DPLR decomposition.
  case legS = "legs"

  /// The N/2 stored eigenvalues for a state size N.
  ///
  /// - Parameter order: N, even and at least 2.
  /// - Returns: N/2 eigenvalues.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when N is odd or below 2.
  public func eigenvalues(order: Int) throws -> [Complex<Double>] {
    guard order >= 2, order % 2 == 0 else {
      throw StateSpaceError.invalidParameter(operation: "S4D", parameter: "state size N", value: "\(order)", requirement: "even and at least 2")
    }
    let half = order / 2
    let n = Double(order)
    switch self {
    case .linear: return (0..<half).map { Complex(-0.5, Double.pi * Double($0)) }
    case .inverse: return (0..<half).map { Complex(-0.5, n / Double.pi * (n / Double(2 * $0 + 1) - 1)) }
    case .real: return (0..<half).map { Complex(-Double($0 + 1), 0) }
    case .legS: return try DPLRDecomposition(measure: .legS, order: order).eigenvalues
    }
  }
}
