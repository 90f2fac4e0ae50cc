import TensorCore

/// Dense linear algebra for the state-space setup steps (discretization, corrections, conversions): solves that
/// rethrow TensorCore's errors as state-space errors, and the complex determinant TensorCore does not provide.
enum DenseAlgebra {
  /// Solves `A X = B` (TensorCore's LU solve), rethrowing a failure as a state-space error that names `operation`.
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(operation:reason:)`` naming `operation` when `A` is singular or not finite.
  /// - Complexity: O(n³ + n²·columns).
  static func solve(_ a: Tensor<Double>, _ b: [Double], columns: Int, operation: String) throws -> [Double] {
    do {
      return try TensorCore.solve(a, Tensor(shape: [a.rows, columns], scalars: b)).scalars
    } catch {
      throw StateSpaceError.numericalFailure(operation: operation, reason: "\(error)")
    }
  }

  /// Solves the complex system `A X = B` (TensorCore's LU solve), rethrowing a failure as a state-space error.
  ///
  /// - Throws: ``StateSpaceError/numericalFailure(operation:reason:)`` naming `operation` when `A` is singular or not finite.
  /// - Complexity: O(n³ + n²·columns).
  static func solve(_ a: [Complex<Double>], _ b: [Complex<Double>], order n: Int, operation: String) throws
    -> [Complex<Double>]
  {
    do {
      return try TensorCore.solve(a, b, order: n)
    } catch {
      throw StateSpaceError.numericalFailure(operation: operation, reason: "\(error)")
    }
  }

  /// The determinant of a complex `n × n` matrix by Gaussian elimination with partial pivoting.
  ///
  /// - Complexity: O(n³).
  static func determinant(_ a: [Complex<Double>], order n: Int) -> Complex<Double> {
    var m = a
    var det = Complex<Double>.one
    for column in 0..<n {
      var pivot = column
      for row in column + 1..<n where m[row * n + column].length > m[pivot * n + column].length { pivot = row }
      if m[pivot * n + column].length == 0 { return .zero }
      if pivot != column {
        for j in 0..<n { m.swapAt(pivot * n + j, column * n + j) }
        det = -det
      }
      det *= m[column * n + column]
      let inverse = Complex<Double>.one / m[column * n + column]
      for row in column + 1..<n {
        let factor = m[row * n + column] * inverse
        for j in column..<n { m[row * n + j] -= factor * m[column * n + j] }
      }
    }
    return det
  }

  /// The matrix power `Aᵏ` by repeated squaring.
  ///
  /// - Complexity: O(n³ log k), BLAS products.
  static func power(_ a: Tensor<Double>, _ exponent: Int) -> Tensor<Double> {
    var result = Tensor<Double>(identity: a.rows)
    var base = a
    var remaining = exponent
    while remaining > 0 {
      if remaining & 1 == 1 { result = matmul(result, base) }
      remaining >>= 1
      if remaining > 0 { base = matmul(base, base) }
    }
    return result
  }
}
