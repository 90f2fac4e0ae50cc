/// A thin singular value decomposition `A = U · diag(σ) · Vᵀ` of an `m × n` matrix.
///
/// With `k` singular values, `u` is `m × k` with orthonormal columns, `vt` is `k × n` with orthonormal rows,
/// and the singular values are non-negative and in descending order.
public struct SingularValueDecomposition<Scalar: TensorScalar>: Sendable {
  /// The left singular vectors as the columns of an `m × k` matrix.
  public let u: Tensor<Scalar>
  /// The `k` singular values, descending.
  public let singularValues: [Scalar]
  /// The right singular vectors as the rows of a `k × n` matrix.
  public let vt: Tensor<Scalar>

  /// Creates a decomposition from its factors.
  ///
  /// - Parameters:
  ///   - u: The `m × k` left factor.
  ///   - singularValues: The `k` singular values, descending.
  ///   - vt: The `k × n` right factor.
  public init(u: Tensor<Scalar>, singularValues: [Scalar], vt: Tensor<Scalar>) {
    precondition(
      u.rank == 2 && vt.rank == 2 && u.columns == singularValues.count && vt.rows == singularValues.count,
      "SingularValueDecomposition: u \(u.shape), \(singularValues.count) values and vt \(vt.shape) do not fit")
    self.u = u
    self.singularValues = singularValues
    self.vt = vt
  }

  /// The product `U · diag(σ) · Vᵀ`, the matrix that was decomposed (or its best rank-k approximation).
  ///
  /// - Complexity: O(m·n·k).
  public func reconstructed() -> Tensor<Scalar> {
    var scaledU = u
    let k = singularValues.count
    for i in 0..<u.rows {
      for j in 0..<k { scaledU.scalars[i * k + j] *= singularValues[j] }
    }
    return matmul(scaledU, vt)
  }
}

/// The thin singular value decomposition of a matrix, `k = min(m, n)` singular values.
///
/// Uses LAPACK's divide-and-conquer `?gesdd` and falls back to the QR-iteration `?gesvd` if that fails to
/// converge.
///
/// ```
/// A = U · diag(σ₁ ≥ … ≥ σ_k ≥ 0) · Vᵀ,   UᵀU = VᵀV = I_k
/// ```
///
/// - Parameter a: An `m × n` matrix with finite elements.
/// - Returns: The factors `u` (`m × k`), `singularValues` (`k`) and `vt` (`k × n`).
/// - Throws: ``LinalgError`` if `a` is not a finite matrix or neither LAPACK routine converges.
/// - Complexity: O(m·n·min(m, n)).
public func singularValueDecomposition<S: TensorScalar>(_ a: Tensor<S>) throws -> SingularValueDecomposition<S> {
  let operation = "singularValueDecomposition"
  let (m, n) = try Validation.matrixShape(a, operation: operation)
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  let k = min(m, n)
  guard k > 0 else {
    return SingularValueDecomposition(u: Tensor(zeros: [m, 0]), singularValues: [], vt: Tensor(zeros: [0, n]))
  }
  var values = [S](repeating: 0, count: k)
  var u = Tensor<S>(zeros: [m, k])
  var vt = Tensor<S>(zeros: [k, n])
  for routine in [S.lapackDivideAndConquerSVD, S.lapackQRIterationSVD] {
    var work = a.scalars  // LAPACK overwrites its input
    let info = work.withUnsafeMutableBufferPointer { pa in
      values.withUnsafeMutableBufferPointer { ps in
        u.scalars.withUnsafeMutableBufferPointer { pu in
          vt.scalars.withUnsafeMutableBufferPointer { pv in
            routine(m, n, pa.baseAddress!, ps.baseAddress!, pu.baseAddress!, pv.baseAddress!)
          }
        }
      }
    }
    if info == 0 { return SingularValueDecomposition(u: u, singularValues: values, vt: vt) }
    if info < 0 { throw LinalgError.backendFailure(operation: operation, routine: "gesdd/gesvd", info: info) }
  }
  throw LinalgError.noConvergence(operation: operation, shape: a.shape)
}
