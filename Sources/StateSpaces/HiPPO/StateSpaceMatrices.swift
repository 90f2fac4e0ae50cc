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
  /// - Throws: ``StateSpaceError`` when the shapes disagree or an entry is not finite.
  public init(a: Tensor<Double>, b: [Double]) throws {
    guard a.rank == 2, a.shape[0] == a.shape[1], a.shape[0] == b.count, !b.isEmpty else {
      throw StateSpaceError.countsDisagree(operation: "state matrices", tensors: ["A (rows × columns)", "B"], counts: [a.scalars.count, b.count], requirement: "A must be N × N and B have N entries")
    }
    try StateSpaceValidation.requireFinite(a.scalars, operation: "state matrices", tensor: "A")
    try StateSpaceValidation.requireFinite(b, operation: "state matrices", tensor: "B")
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
  /// - Throws: ``StateSpaceError/numericalFailure(operation:reason:)`` when the QR algorithm does not converge.
  /// - Complexity: O(N²) for triangular `A`, O(N³) otherwise.
  public func eigenvalues() throws -> [Complex<Double>] {
    let n = order
    if isLowerTriangular || transposedIsLowerTriangular {
      return (0..<n).map { Complex(a.scalars[$0 * n + $0]) }
    }
    do {
      return try eigendecomposition(a).values
    } catch {
      throw StateSpaceError.numericalFailure(operation: "state matrices", reason: "eigenvalues of A (\(n) × \(n)) failed: \(error)")
    }
  }

  /// The spectral radius of `A`, the largest eigenvalue magnitude (see ``eigenvalues()`` for its accuracy).
  ///
  /// For a discrete system it decides stability (``stability``).
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(operation:reason:)`` when the eigensolver fails.
  /// - Complexity: O(N²) for triangular `A`, O(N³) otherwise.
  public var spectralRadius: Double {
    get throws { try eigenvalues().reduce(0) { max($0, $1.length) } }
  }

  /// An interval that holds the spectral radius of `A` up to first order in the rounding error, around the
  /// estimate ``spectralRadius``.
  ///
  /// A computed eigenvalue λᵢ of a non-triangular `A` is the exact eigenvalue of a matrix within `ε‖A‖_F` of
  /// `A`, so to first order it is off by at most `eᵢ = ε‖A‖_F κᵢ`, with the condition number
  /// `κᵢ = ‖yᵢ‖‖xᵢ‖/|yᵢ*xᵢ|` from the right eigenvector xᵢ and the row yᵢ* of `V⁻¹`. The interval is
  /// `[maxᵢ(|λᵢ| − eᵢ), maxᵢ(|λᵢ| + eᵢ)]`, its upper end capped by the norm bound `ρ ≤ ‖A‖₂(1 + Nε)` (which
  /// holds whatever the conditioning). It is a single point for triangular `A`, and wide where the eigenvalues
  /// are ill-conditioned: LegT at N = 64 has κ up to 10¹⁵, and double precision then fixes its radius only to
  /// tens of percent (9.56 computed against 8.90 exact for forward Euler with Δ = 0.1, inside the interval
  /// [6.3, 49]).
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(operation:reason:)`` when an eigensolver or the SVD fails.
  /// - Complexity: O(N³).
  public func spectralRadiusBounds() throws -> ClosedRange<Double> {
    let n = order
    if isLowerTriangular || transposedIsLowerTriangular {
      let radius = try spectralRadius
      return radius...radius
    }
    let (values, vectors): ([Complex<Double>], [Complex<Double>])
    let largestSingularValue: Double
    do {
      (values, vectors) = try eigendecomposition(a)
      largestSingularValue = try singularValueDecomposition(a).singularValues.first ?? 0
    } catch {
      throw StateSpaceError.numericalFailure(operation: "state matrices", reason: "eigenvalues of A (\(n) × \(n)) failed: \(error)")
    }
    let normBound = largestSingularValue * (1 + Double(n) * Double.ulpOfOne)
    let radius = values.reduce(0) { max($0, $1.length) }
    var identity = [Complex<Double>](repeating: .zero, count: n * n)
    for i in 0..<n { identity[i * n + i] = .one }
    // Rows of V⁻¹ are the left eigenvectors scaled so that yᵢ*xᵢ = 1; a singular V (a defective A) leaves
    // only the norm bound.
    guard let inverse = try? TensorCore.solve(vectors, identity, order: n) else { return 0...normBound }
    let scale = Double.ulpOfOne * a.frobeniusNorm
    var (lower, upper) = (0.0, 0.0)
    for i in 0..<n {
      var rowNorm = 0.0
      for k in 0..<n { rowNorm += inverse[i * n + k].lengthSquared }
      var columnNorm = 0.0
      for k in 0..<n { columnNorm += vectors[k * n + i].lengthSquared }
      let error = scale * (rowNorm * columnNorm).squareRoot()
      lower = max(lower, values[i].length - error)
      upper = max(upper, values[i].length + error)
    }
    guard upper.isFinite else { return 0...normBound }
    return min(lower, radius)...max(radius, min(upper, normBound))
  }

  /// The stability of this system read as a discrete one, `x_{k+1} = A x_k + B u_k`, from its spectral
  /// radius ρ with the tolerance ``DiscreteStability/tolerance``.
  ///
  /// FouT has a zero continuous eigenvalue, which every rule maps to the discrete eigenvalue 1 exactly, so
  /// its discretizations are ``DiscreteStability/marginal`` (as long as the other eigenvalues stay inside).
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(operation:reason:)`` when the eigensolver fails.
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
