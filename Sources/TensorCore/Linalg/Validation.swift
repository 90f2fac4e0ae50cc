/// Input checks shared by the decompositions: every size that reaches LAPACK passes through here first.
enum Validation {
  /// The rows and columns of `a`, or a thrown error if it is not a matrix.
  static func matrixShape<S: TensorScalar>(
    _ a: Tensor<S>, operation: String, argument: String = "A"
  ) throws -> (rows: Int, columns: Int) {
    guard a.rank == 2 else { throw LinalgError.notAMatrix(operation: operation, argument: argument, shape: a.shape) }
    try checkBLASRange(a.shape, operation: operation)
    return (a.shape[0], a.shape[1])
  }

  /// The order of the square matrix `a`, or a thrown error.
  static func squareOrder<S: TensorScalar>(_ a: Tensor<S>, operation: String) throws -> Int {
    let (m, n) = try matrixShape(a, operation: operation)
    guard m == n else { throw LinalgError.notSquare(operation: operation, shape: a.shape) }
    return n
  }

  /// The order `n` of a row-major `n × n` complex matrix stored flat, or a thrown error.
  @discardableResult
  static func squareOrder(_ a: [Complex<Double>], order n: Int, operation: String) throws -> Int {
    guard n >= 0, n.multipliedReportingOverflow(by: n) == (a.count, false) else {
      throw LinalgError.notAMatrix(operation: operation, argument: "A", shape: [a.count])
    }
    try checkBLASRange([n, n], operation: operation)
    return n
  }

  /// Throws unless every extent, and the element count, fits the 32-bit LAPACK integer.
  static func checkBLASRange(_ shape: [Int], operation: String) throws {
    let fits = shape.allSatisfy { BLASInteger(exactly: $0) != nil }
    guard fits, let count = Tensor<Double>.checkedElementCount(of: shape), BLASInteger(exactly: count) != nil else {
      throw LinalgError.backendFailure(operation: operation, routine: "size check", info: -1)
    }
  }

  /// Throws if any element is NaN or infinite.
  static func requireFinite<S: TensorScalar>(_ values: [S], operation: String, argument: String) throws {
    guard values.allSatisfy(\.isFinite) else {
      throw LinalgError.nonFiniteInput(operation: operation, argument: argument)
    }
  }

  /// Throws if any element is NaN or infinite.
  static func requireFinite(_ values: [Complex<Double>], operation: String, argument: String) throws {
    guard values.allSatisfy(\.isFinite) else {
      throw LinalgError.nonFiniteInput(operation: operation, argument: argument)
    }
  }
}
