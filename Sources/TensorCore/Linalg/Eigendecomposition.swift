/// The eigenvalues and right eigenvectors of a general real square matrix (LAPACK `dgeev`).
///
/// Complex eigenvalues of a real matrix come in conjugate pairs, and so do their eigenvectors.
///
/// ```
/// A · v_j = λ_j · v_j
/// ```
///
/// - Parameter a: An `n × n` real matrix with finite elements.
/// - Returns: The `n` eigenvalues (in LAPACK's order, conjugate pairs adjacent with positive imaginary part
///   first) and the eigenvectors as the *columns* of a row-major `n × n` complex matrix, each of unit
///   Euclidean norm.
/// - Throws: ``LinalgError`` if `a` is not a finite square matrix or the QR algorithm does not converge.
/// - Complexity: O(n³).
public func eigendecomposition(_ a: Tensor<Double>) throws -> (values: [Complex<Double>], vectors: [Complex<Double>]) {
  let operation = "eigendecomposition"
  let n = try Validation.squareOrder(a, operation: operation)
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  guard n > 0 else { return ([], []) }
  var work = a.scalars
  var realParts = [Double](repeating: 0, count: n)
  var imaginaryParts = [Double](repeating: 0, count: n)
  var packed = [Double](repeating: 0, count: n * n)
  let info = work.withUnsafeMutableBufferPointer { pa in
    realParts.withUnsafeMutableBufferPointer { pr in
      imaginaryParts.withUnsafeMutableBufferPointer { pi in
        packed.withUnsafeMutableBufferPointer { pv in
          ComplexLAPACK.generalEigen(
            n: n, a: pa.baseAddress!, realParts: pr.baseAddress!, imaginaryParts: pi.baseAddress!,
            vectors: pv.baseAddress!)
        }
      }
    }
  }
  if info > 0 { throw LinalgError.noConvergence(operation: operation, shape: a.shape) }
  if info < 0 { throw LinalgError.backendFailure(operation: operation, routine: "dgeev", info: info) }
  // dgeev packs a conjugate pair (j, j+1) as two real columns: v_j = re + i·im, v_{j+1} = re − i·im.
  var vectors = [Complex<Double>](repeating: .zero, count: n * n)
  var j = 0
  while j < n {
    if imaginaryParts[j] != 0, j + 1 < n {
      for i in 0..<n {
        let (re, im) = (packed[i * n + j], packed[i * n + j + 1])
        vectors[i * n + j] = Complex(re, im)
        vectors[i * n + j + 1] = Complex(re, -im)
      }
      j += 2
    } else {
      for i in 0..<n { vectors[i * n + j] = Complex(packed[i * n + j]) }
      j += 1
    }
  }
  return (zip(realParts, imaginaryParts).map { Complex($0, $1) }, vectors)
}

/// The eigendecomposition `A = V · diag(λ) · Vᴴ` of a complex Hermitian matrix (LAPACK `zheevd`).
///
/// Only the upper triangle of `a` is read; the eigenvalues of a Hermitian matrix are real.
///
/// - Parameters:
///   - a: A Hermitian `n × n` complex matrix, row-major.
///   - n: The order of the matrix.
/// - Returns: The eigenvalues in ascending order and the orthonormal eigenvectors as the *columns* of a
///   row-major `n × n` complex matrix.
/// - Throws: ``LinalgError`` if `a` does not hold `n × n` finite elements or LAPACK does not converge.
/// - Complexity: O(n³).
public func hermitianEigendecomposition(
  _ a: [Complex<Double>], order n: Int
) throws -> (values: [Double], vectors: [Complex<Double>]) {
  let operation = "hermitianEigendecomposition"
  try Validation.squareOrder(a, order: n, operation: operation)
  try Validation.requireFinite(a, operation: operation, argument: "A (\(n)×\(n))")
  guard n > 0 else { return ([], []) }
  var vectors = a
  var values = [Double](repeating: 0, count: n)
  let info = vectors.withUnsafeMutableBufferPointer { pa in
    values.withUnsafeMutableBufferPointer { pw in
      ComplexLAPACK.hermitianEigen(n: n, a: pa.baseAddress!, values: pw.baseAddress!)
    }
  }
  if info > 0 { throw LinalgError.noConvergence(operation: operation, shape: [n, n]) }
  if info < 0 { throw LinalgError.backendFailure(operation: operation, routine: "zheevd", info: info) }
  return (values, vectors)
}
