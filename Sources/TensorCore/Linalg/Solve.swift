/// Solves the linear system `A X = B` by LU factorization with partial pivoting (LAPACK `?gesv`).
///
/// - Parameters:
///   - a: A non-singular `n × n` matrix with finite elements.
///   - b: The right-hand side, a vector of shape `[n]` or a matrix of shape `[n, m]`.
/// - Returns: `X`, with the shape of `b`.
/// - Throws: ``LinalgError/singularMatrix(operation:shape:pivot:)`` if `A` is exactly singular, and other
///   ``LinalgError`` cases for shape mismatches and non-finite input.
/// - Complexity: O(n³ + n²·m).
public func solve<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) throws -> Tensor<S> {
  let operation = "solve"
  let n = try Validation.squareOrder(a, operation: operation)
  guard (b.rank == 1 || b.rank == 2), b.shape[0] == n else {
    throw LinalgError.shapeMismatch(operation: operation, left: a.shape, right: b.shape)
  }
  try Validation.checkBLASRange(b.shape, operation: operation)
  try Validation.requireFinite(a.scalars, operation: operation, argument: "A of shape \(a.shape)")
  try Validation.requireFinite(b.scalars, operation: operation, argument: "B of shape \(b.shape)")
  let rightHandSides = b.rank == 1 ? 1 : b.shape[1]
  guard n > 0, rightHandSides > 0 else { return b }
  var lu = a.scalars
  var solution = b
  var pivots = [BLASInteger](repeating: 0, count: n)
  let info = lu.withUnsafeMutableBufferPointer { pa in
    pivots.withUnsafeMutableBufferPointer { pp in
      solution.scalars.withUnsafeMutableBufferPointer { pb in
        S.lapackSolve(
          n: n, rightHandSides: rightHandSides, a: pa.baseAddress!, pivots: pp.baseAddress!, b: pb.baseAddress!)
      }
    }
  }
  if info > 0 { throw LinalgError.singularMatrix(operation: operation, shape: a.shape, pivot: info) }
  if info < 0 { throw LinalgError.backendFailure(operation: operation, routine: "gesv", info: info) }
  return solution
}

/// Solves the complex linear system `A X = B` by LU factorization with partial pivoting (LAPACK `zgesv`).
///
/// - Parameters:
///   - a: A non-singular `n × n` complex matrix, row-major.
///   - b: The right-hand sides, an `n × m` row-major complex matrix (`m = b.count / n`).
///   - n: The order of `A`.
/// - Returns: `X`, `n × m` row-major.
/// - Throws: ``LinalgError`` if the sizes do not fit, an element is not finite, or `A` is singular.
/// - Complexity: O(n³ + n²·m).
public func solve(_ a: [Complex<Double>], _ b: [Complex<Double>], order n: Int) throws -> [Complex<Double>] {
  let operation = "solve (complex)"
  try Validation.squareOrder(a, order: n, operation: operation)
  guard n > 0 ? b.count % n == 0 : b.isEmpty else {
    throw LinalgError.shapeMismatch(operation: operation, left: [n, n], right: [b.count])
  }
  let rightHandSides = n > 0 ? b.count / n : 0
  try Validation.checkBLASRange([n, rightHandSides], operation: operation)
  try Validation.requireFinite(a, operation: operation, argument: "A (\(n)×\(n))")
  try Validation.requireFinite(b, operation: operation, argument: "B (\(n)×\(rightHandSides))")
  guard n > 0, rightHandSides > 0 else { return b }
  var lu = a
  var solution = b
  var pivots = [BLASInteger](repeating: 0, count: n)
  let info = lu.withUnsafeMutableBufferPointer { pa in
    pivots.withUnsafeMutableBufferPointer { pp in
      solution.withUnsafeMutableBufferPointer { pb in
        ComplexLAPACK.solve(
          n: n, rightHandSides: rightHandSides, a: pa.baseAddress!, pivots: pp.baseAddress!, b: pb.baseAddress!)
      }
    }
  }
  if info > 0 { throw LinalgError.singularMatrix(operation: operation, shape: [n, n], pivot: info) }
  if info < 0 { throw LinalgError.backendFailure(operation: operation, routine: "zgesv", info: info) }
  return solution
}
