import TensorCore

/// Small dense linear algebra in `Double` for the state-space setup steps (discretization, corrections,
/// conversions), where matrices are N × N with N in the hundreds at most.
enum DenseAlgebra {
  /// Solves `A X = B` by Gaussian elimination with partial pivoting; `B` is `n × columns` row-major.
  ///
  /// - Throws: ``StateSpaceError/invalidInput(_:)`` naming `what` when `A` is singular to working precision.
  /// - Complexity: O(n³ + n²·columns).
  static func solve(_ a: Tensor<Double>, _ b: [Double], columns: Int, what: String) throws -> [Double] {
    let n = a.rows
    var m = a.scalars
    var x = b
    for column in 0..<n {
      var pivot = column
      for row in column + 1..<n where abs(m[row * n + column]) > abs(m[pivot * n + column]) { pivot = row }
      guard m[pivot * n + column] != 0, m[pivot * n + column].isFinite else {
        throw StateSpaceError.invalidInput("\(what): the matrix is singular")
      }
      if pivot != column {
        for j in 0..<n { m.swapAt(pivot * n + j, column * n + j) }
        for j in 0..<columns { x.swapAt(pivot * columns + j, column * columns + j) }
      }
      let inverse = 1 / m[column * n + column]
      for row in column + 1..<n {
        let factor = m[row * n + column] * inverse
        if factor == 0 { continue }
        for j in column..<n { m[row * n + j] -= factor * m[column * n + j] }
        for j in 0..<columns { x[row * columns + j] -= factor * x[column * columns + j] }
      }
    }
    for row in stride(from: n - 1, through: 0, by: -1) {
      for j in 0..<columns {
        var sum = x[row * columns + j]
        for k in row + 1..<n { sum -= m[row * n + k] * x[k * columns + j] }
        x[row * columns + j] = sum / m[row * n + row]
      }
    }
    return x
  }

  /// Solves `A X = B` for a complex `n × n` matrix `A` (row-major) and `n × columns` right-hand sides.
  ///
  /// - Throws: ``StateSpaceError/invalidInput(_:)`` naming `what` when `A` is singular to working precision.
  /// - Complexity: O(n³ + n²·columns).
  static func solve(
    _ a: [Complex<Double>], _ b: [Complex<Double>], order n: Int, columns: Int, what: String
  ) throws -> [Complex<Double>] {
    var m = a
    var x = b
    for column in 0..<n {
      var pivot = column
      for row in column + 1..<n where m[row * n + column].length > m[pivot * n + column].length { pivot = row }
      guard m[pivot * n + column].length > 0, m[pivot * n + column].isFinite else {
        throw StateSpaceError.invalidInput("\(what): the matrix is singular")
      }
      if pivot != column {
        for j in 0..<n { m.swapAt(pivot * n + j, column * n + j) }
        for j in 0..<columns { x.swapAt(pivot * columns + j, column * columns + j) }
      }
      let inverse = Complex<Double>.one / m[column * n + column]
      for row in column + 1..<n {
        let factor = m[row * n + column] * inverse
        for j in column..<n { m[row * n + j] -= factor * m[column * n + j] }
        for j in 0..<columns { x[row * columns + j] -= factor * x[column * columns + j] }
      }
    }
    for row in stride(from: n - 1, through: 0, by: -1) {
      for j in 0..<columns {
        var sum = x[row * columns + j]
        for k in row + 1..<n { sum -= m[row * n + k] * x[k * columns + j] }
        x[row * columns + j] = sum / m[row * n + row]
      }
    }
    return x
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

  /// The matrix exponential `e^A` by scaling and squaring of a 20-term Taylor series.
  ///
  /// A is scaled by `2^{−s}` until its 1-norm is at most ½, where the truncated series is exact to
  /// rounding (remainder below `0.5²¹/21!`); the result is then squared `s` times.
  ///
  /// - Complexity: O(N³ (20 + s)).
  static func exponential(_ a: Tensor<Double>) -> Tensor<Double> {
    let n = a.rows
    var norm = 0.0
    for column in 0..<n {
      var sum = 0.0
      for row in 0..<n { sum += abs(a.scalars[row * n + column]) }
      norm = max(norm, sum)
    }
    var squarings = 0
    var scale = 1.0
    while norm > 0.5 {
      norm /= 2
      scale /= 2
      squarings += 1
    }
    let scaled = scale * a
    var result = Tensor<Double>(identity: n)
    var term = Tensor<Double>(identity: n)
    for k in 1...20 {
      term = (1 / Double(k)) * matmul(term, scaled)
      result = result + term
    }
    for _ in 0..<squarings { result = matmul(result, result) }
    return result
  }
}
