/// An error thrown by a linear-algebra or decomposition routine, naming the operation and the shapes involved.
public enum LinalgError: Error, Equatable, CustomStringConvertible {
  /// The argument is not a matrix (rank 2), or a flat buffer does not hold the stated matrix.
  case notAMatrix(operation: String, argument: String, shape: [Int])
  /// The operation needs a square matrix.
  case notSquare(operation: String, shape: [Int])
  /// Two arguments do not fit together (for example `A` and `B` of `A X = B`).
  case shapeMismatch(operation: String, left: [Int], right: [Int])
  /// The matrix is exactly singular: LAPACK met a zero pivot at the given 1-based position.
  case singularMatrix(operation: String, shape: [Int], pivot: Int)
  /// The iterative algorithm inside LAPACK did not converge.
  case noConvergence(operation: String, shape: [Int])
  /// An argument holds NaN or an infinity.
  case nonFiniteInput(operation: String, argument: String)
  /// A requested rank is outside `1...min(rows, columns)`.
  case invalidRank(operation: String, rank: Int, shape: [Int])
  /// The numeric back end rejected the call or is not available on this platform.
  case backendFailure(operation: String, routine: String, info: Int)

  public var description: String {
    switch self {
    case .notAMatrix(let operation, let argument, let shape):
      return "\(operation): \(argument) of shape \(shape) is not a matrix of the expected size"
    case .notSquare(let operation, let shape):
      return "\(operation): matrix of shape \(shape) is not square"
    case .shapeMismatch(let operation, let left, let right):
      return "\(operation): shapes \(left) and \(right) do not fit together"
    case .singularMatrix(let operation, let shape, let pivot):
      return "\(operation): matrix of shape \(shape) is singular (zero pivot at position \(pivot))"
    case .noConvergence(let operation, let shape):
      return "\(operation): the algorithm did not converge on a matrix of shape \(shape)"
    case .nonFiniteInput(let operation, let argument):
      return "\(operation): \(argument) contains NaN or infinity"
    case .invalidRank(let operation, let rank, let shape):
      return "\(operation): rank \(rank) is outside 1...min(rows, columns) for shape \(shape)"
    case .backendFailure(let operation, let routine, let info):
      return "\(operation): back-end routine \(routine) failed with info \(info)"
    }
  }
}
