import TensorCore

/// The pair `(A, B)` of a single-input linear state space `x' = A x + B u` (or `x_{k+1} = A x_k + B u_k`).
public struct StateSpaceMatrices: Sendable, Equatable {
  /// The `N × N` state matrix.
  public var a: Tensor<Double>
  /// The input vector, `N` entries.
  public var b: [Double]

  /// Creates the pair; `a` must be square with as many rows as `b` has entries.
  ///
  /// - Parameters:
  ///   - a: The `N × N` state matrix.
  ///   - b: The `N` input weights.
  /// - Throws: ``StateSpaceError/invalidInput(_:)`` when the shapes disagree or an entry is not finite.
  public init(a: Tensor<Double>, b: [Double]) throws {
    guard a.rank == 2, a.shape[0] == a.shape[1], a.shape[0] == b.count, !b.isEmpty else {
      throw StateSpaceError.invalidInput("state matrices: A has shape \(a.shape) but B has \(b.count) entries")
    }
    guard a.scalars.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
      throw StateSpaceError.invalidInput("state matrices: A or B holds a non-finite value")
    }
    self.a = a
    self.b = b
  }

  /// The state size N.
  public var order: Int { b.count }

  /// The spectral radius of `A`, the largest eigenvalue magnitude: at least 1 means a discrete system is unstable.
  ///
  /// Estimated by Gelfand's formula `ρ = lim ‖Aᵏ‖^{1/k}` with `k = 2⁴⁰` reached by normalized squaring, which
  /// needs no eigendecomposition and is accurate to about `log(cond)/2⁴⁰` relative.
  ///
  /// - Complexity: O(N³) (40 matrix products).
  public var spectralRadius: Double {
    var power = a
    var logRadius = 0.0
    for squaring in 0...40 {
      let norm = power.frobeniusNorm
      guard norm > 0, norm.isFinite else { return norm == 0 ? 0 : .infinity }
      power = (1 / norm) * power
      logRadius += Double.logarithm(norm) / Double(1 << squaring)
      if squaring < 40 { power = matmul(power, power) }
    }
    return Double.exponential(logRadius)
  }
}
