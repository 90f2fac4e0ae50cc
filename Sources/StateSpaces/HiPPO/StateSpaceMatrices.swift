import TensorCore

/// The pair `(A, B)` of a single-input linear state space `x' = A x + B u` (or `x_{k+1} = A x_k + B u_k`).
///
/// The pair is checked once, in ``init(a:b:)``, and cannot be changed afterwards, so every method may rely on
/// `A` being `N × N` with `N = b.count` and on all entries being finite.
public struct StateSpaceMatrices: Sendable, Equatable {
  /// The `N × N` state matrix.
  public let a: Tensor<Double>
  /// The input vector, `N` entries.
  public let b: [Double]

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
    try StateSpaceValidation.requireFinite(a.scalars, "state matrices: A")
    try StateSpaceValidation.requireFinite(b, "state matrices: B")
    self.a = a
    self.b = b
  }

  /// The state size N.
  public var order: Int { b.count }

  /// Whether `A` is lower triangular (every entry above the diagonal is exactly zero).
  ///
  /// LegS and LagT are lower triangular, and so is every discretization of them
  /// (``discretized(step:method:)`` keeps the zeros exact).
  public var isLowerTriangular: Bool {
    let n = order
    return a.scalars.withUnsafeBufferPointer { m in
      for i in 0..<n {
        for k in (i + 1)..<n where m[i * n + k] != 0 { return false }
      }
      return true
    }
  }

  /// The eigenvalues of `A`: the diagonal when `A` is triangular, LAPACK's `dgeev` otherwise.
  ///
  /// Triangular matrices take the exact route on purpose: LegS's eigenvector matrix has condition 3·10¹⁹ at
  /// N = 32, so an eigensolver's answer for it can be wrong in every digit, while its eigenvalues are exactly
  /// its diagonal. For other matrices the error of an eigenvalue is about `ε‖A‖` times its condition number.
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(_:)`` when the QR algorithm does not converge.
  /// - Complexity: O(N²) for triangular `A`, O(N³) otherwise.
  public func eigenvalues() throws -> [Complex<Double>] {
    let n = order
    if isLowerTriangular || transposedIsLowerTriangular {
      return (0..<n).map { Complex(a.scalars[$0 * n + $0]) }
    }
    do {
      return try eigendecomposition(a).values
    } catch {
      throw StateSpaceError.numericalFailure("state matrices: eigenvalues of A (\(n) × \(n)) failed: \(error)")
    }
  }

  /// The spectral radius of `A`, the largest eigenvalue magnitude (see ``eigenvalues()`` for its accuracy).
  ///
  /// For a discrete system it decides stability (``stability``).
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(_:)`` when the eigensolver fails.
  /// - Complexity: O(N²) for triangular `A`, O(N³) otherwise.
  public var spectralRadius: Double {
    get throws { try eigenvalues().reduce(0) { max($0, $1.length) } }
  }

  /// The stability of this system read as a discrete one, `x_{k+1} = A x_k + B u_k`, from its spectral
  /// radius ρ with the tolerance ``DiscreteStability/tolerance``.
  ///
  /// FouT has a zero continuous eigenvalue, which every rule maps to the discrete eigenvalue 1 exactly, so
  /// its discretizations are ``DiscreteStability/marginal`` (as long as the other eigenvalues stay inside).
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(_:)`` when the eigensolver fails.
  public var stability: DiscreteStability {
    get throws { DiscreteStability(spectralRadius: try spectralRadius) }
  }

  /// Whether `A` is upper triangular.
  private var transposedIsLowerTriangular: Bool {
    let n = order
    return a.scalars.withUnsafeBufferPointer { m in
      for i in 0..<n {
        for k in 0..<i where m[i * n + k] != 0 { return false }
      }
      return true
    }
  }
}
