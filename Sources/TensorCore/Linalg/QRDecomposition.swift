/// The thin QR decomposition `A = Q R` by Householder reflections (LAPACK `?geqrf` and `?orgqr`).
///
/// With `k = min(m, n)`, `Q` is `m × k` with orthonormal columns and `R` is `k × n` upper triangular (upper
/// trapezoidal when `n > m`).
///
/// - Parameter a: An `m × n` matrix with finite elements.
/// - Returns: `q` (`m × k`) and `r` (`k × n`).
/// - Throws: ``LinalgError`` if `a` is not a finite matrix.
/// - Complexity: O(m·n·min(m, n)).
public func qrDecomposition<S: TensorScalar>(_ a: Tensor<S>) throws -> (q: Tensor<S>, r: Tensor<S>) {
  let operation = "qrDecomposition"
  let (m, n) = try Validation.matrixShape(a, operation: operation)
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  let k = min(m, n)
  guard k > 0 else { return (Tensor(zeros: [m, 0]), Tensor(zeros: [0, n])) }
  var factored = a.scalars
  var tau = [S](repeating: 0, count: k)
  let factorInfo = factored.withUnsafeMutableBufferPointer { pa in
    tau.withUnsafeMutableBufferPointer { pt in S.lapackQRFactor(m: m, n: n, a: pa.baseAddress!, tau: pt.baseAddress!) }
  }
  if factorInfo != 0 { throw LinalgError.backendFailure(operation: operation, routine: "geqrf", info: factorInfo) }
  var r = Tensor<S>(zeros: [k, n])
  for i in 0..<k {
    for j in i..<n { r.scalars[i * n + j] = factored[i * n + j] }
  }
  // The first k columns hold the Householder vectors below the diagonal; orgqr turns them into Q.
  var q = Tensor<S>(shape: [m, k]) { factored[($0 / k) * n + $0 % k] }
  let formInfo = q.scalars.withUnsafeMutableBufferPointer { pq in
    tau.withUnsafeBufferPointer { pt in
      S.lapackQRFormQ(m: m, n: k, reflectors: k, a: pq.baseAddress!, tau: pt.baseAddress!)
    }
  }
  if formInfo != 0 { throw LinalgError.backendFailure(operation: operation, routine: "orgqr", info: formInfo) }
  return (q, r)
}
