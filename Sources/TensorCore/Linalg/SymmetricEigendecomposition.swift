/// The eigendecomposition `A = V · diag(λ) · Vᵀ` of a real symmetric matrix.
///
/// Only the upper triangle of `a` is read (LAPACK `?syevd`, divide and conquer).
///
/// - Parameter a: A symmetric `n × n` matrix with finite elements.
/// - Returns: The eigenvalues in ascending order and the orthonormal eigenvectors as the *columns* of
///   `vectors` (`n × n`), so that `A · vectors[:, j] = values[j] · vectors[:, j]`.
/// - Throws: ``LinalgError`` if `a` is not a finite square matrix or LAPACK does not converge.
/// - Complexity: O(n³).
public func symmetricEigendecomposition<S: TensorScalar>(_ a: Tensor<S>) throws -> (values: [S], vectors: Tensor<S>) {
  let operation = "symmetricEigendecomposition"
  let n = try Validation.squareOrder(a, operation: operation)
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  guard n > 0 else { return ([], a) }
  var vectors = a
  var values = [S](repeating: 0, count: n)
  let info = vectors.scalars.withUnsafeMutableBufferPointer { pa in
    values.withUnsafeMutableBufferPointer { pw in S.lapackSymmetricEigen(n: n, a: pa.baseAddress!, values: pw.baseAddress!) }
  }
  if info > 0 { throw LinalgError.noConvergence(operation: operation, shape: a.shape) }
  if info < 0 { throw LinalgError.backendFailure(operation: operation, routine: "syevd", info: info) }
  return (values, vectors)
}
