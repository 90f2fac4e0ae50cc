import CRelaxed

/// Eigenpairs of small dense symmetric matrices in `Double`, for the per-slice projections.
enum SymmetricEigen {
  /// All eigenpairs of the symmetric `n × n` row-major matrix `a` by the cyclic Jacobi method.
  ///
  /// - Returns: The eigenvalues in descending order and the eigenvectors as the rows of an `n × n` array, in
  ///   the same order.
  /// - Complexity: O(n³) per sweep; a handful of sweeps reach full `Double` accuracy.
  static func jacobi(_ input: [Double], order n: Int) -> (values: [Double], vectors: [Double]) {
    var a = input
    // vectors[i*n + j]: component j of eigenvector i (rows rotate together with a's columns).
    var vectors = [Double](repeating: 0, count: n * n)
    for i in 0..<n { vectors[i * n + i] = 1 }
    let scale = max(input.reduce(0) { max($0, abs($1)) }, Double.leastNormalMagnitude)
    for _ in 0..<60 {
      var offDiagonal = 0.0
      for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { offDiagonal += a[i * n + j] * a[i * n + j] } }
      if offDiagonal.squareRoot() <= 1e-15 * scale { break }
      for i in 0..<n {
        for j in (i + 1)..<max(i + 1, n) {
          let aij = a[i * n + j]
          if abs(aij) <= 1e-300 { continue }
          let theta = (a[j * n + j] - a[i * n + i]) / (2 * aij)
          let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for m in 0..<n {
            let (x, y) = (a[m * n + i], a[m * n + j])
            a[m * n + i] = c * x - s * y
            a[m * n + j] = s * x + c * y
          }
          for m in 0..<n {
            let (x, y) = (a[i * n + m], a[j * n + m])
            a[i * n + m] = c * x - s * y
            a[j * n + m] = s * x + c * y
          }
          for m in 0..<n {
            let (x, y) = (vectors[i * n + m], vectors[j * n + m])
            vectors[i * n + m] = c * x - s * y
            vectors[j * n + m] = s * x + c * y
          }
        }
      }
    }
    let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
    var sortedVectors = [Double](repeating: 0, count: n * n)
    for (target, source) in order.enumerated() {
      for m in 0..<n { sortedVectors[target * n + m] = vectors[source * n + m] }
    }
    return (order.map { a[$0 * n + $0] }, sortedVectors)
  }

  /// The largest eigenvalue of the symmetric positive semidefinite `n × n` matrix at `g` and its unit
  /// eigenvector, by Lanczos with full reorthogonalization.
  ///
  /// The Krylov space grows from the column of `g` with the largest diagonal entry; the top Ritz pair of the
  /// tridiagonal matrix is found by bisection and inverse iteration.
  ///
  /// - Parameters:
  ///   - g: The matrix, row-major.
  ///   - n: Its order.
  ///   - steps: The largest Krylov dimension.
  ///   - vector: Receives the eigenvector (`n` values).
  /// - Returns: The eigenvalue (0 when `g` is zero).
  /// - Complexity: O(steps·n²).
  static func topEigenpair(
    _ g: UnsafePointer<Double>, order n: Int, steps: Int, vector: UnsafeMutablePointer<Double>
  ) -> Double {
    var start = 0
    for i in 0..<n where g[i * n + i] > g[start * n + start] { start = i }
    guard g[start * n + start] > 0 else {
      vector.initialize(repeating: 0, count: n)
      return 0
    }
    let m = min(n, steps)
    let basis = UnsafeMutablePointer<Double>.allocate(capacity: m * n)
    let work = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer {
      basis.deallocate()
      work.deallocate()
    }
    var alpha: [Double] = []
    var beta: [Double] = []
    for i in 0..<n { basis[i] = g[i * n + start] }
    normalize(basis, count: n)
    for j in 0..<m {
      let qj = basis + j * n
      for i in 0..<n { work[i] = dot(g + i * n, qj, count: n) }
      alpha.append(dot(work, qj, count: n))
      // Full reorthogonalization, twice, keeps the basis orthonormal in floating point.
      for _ in 0..<2 {
        for i in 0...j {
          let coefficient = dot(work, basis + i * n, count: n)
          for e in 0..<n { work[e] -= coefficient * basis[i * n + e] }
        }
      }
      let norm = dot(work, work, count: n).squareRoot()
      if j == m - 1 || norm <= 1e-13 * abs(alpha[0]) { break }
      beta.append(norm)
      for e in 0..<n { basis[(j + 1) * n + e] = work[e] / norm }
    }
    let (theta, y) = tridiagonalTopEigenpair(diagonal: alpha, offDiagonal: beta)
    for e in 0..<n {
      var sum = 0.0
      for j in 0..<y.count { sum += y[j] * basis[j * n + e] }
      vector[e] = sum
    }
    normalize(vector, count: n)
    return theta
  }

  /// The largest eigenvalue of a symmetric tridiagonal matrix (bisection on Sturm counts) and its unit
  /// eigenvector (inverse iteration).
  ///
  /// - Complexity: O(m) per bisection or inverse-iteration step for order `m`.
  static func tridiagonalTopEigenpair(diagonal a: [Double], offDiagonal b: [Double]) -> (Double, [Double]) {
    let m = a.count
    var lower = Double.infinity
    var upper = -Double.infinity
    for i in 0..<m {
      let radius = (i > 0 ? abs(b[i - 1]) : 0) + (i < m - 1 ? abs(b[i]) : 0)
      lower = min(lower, a[i] - radius)
      upper = max(upper, a[i] + radius)
    }
    // Count eigenvalues below x; the top eigenvalue is where the count reaches m.
    func countBelow(_ x: Double) -> Int {
      var count = 0
      var d = 1.0
      for i in 0..<m {
        d = a[i] - x - (i > 0 ? b[i - 1] * b[i - 1] / d : 0)
        if d == 0 { d = 1e-300 }
        if d < 0 { count += 1 }
      }
      return count
    }
    for _ in 0..<200 {
      let middle = 0.5 * (lower + upper)
      if middle <= lower || middle >= upper { break }
      if countBelow(middle) == m { upper = middle } else { lower = middle }
    }
    let theta = upper
    // Inverse iteration with (T − θ' I), θ' just above θ, solved by the Thomas algorithm with pivot guards.
    let shift = theta + max(abs(theta), 1e-300) * 1e-10
    var y = [Double](repeating: 1, count: m)
    for _ in 0..<3 {
      var diagonal = a.map { $0 - shift }
      var rhs = y
      for i in 1..<max(1, m) {
        if diagonal[i - 1] == 0 { diagonal[i - 1] = 1e-300 }
        let factor = b[i - 1] / diagonal[i - 1]
        diagonal[i] -= factor * b[i - 1]
        rhs[i] -= factor * rhs[i - 1]
      }
      if diagonal[m - 1] == 0 { diagonal[m - 1] = 1e-300 }
      y[m - 1] = rhs[m - 1] / diagonal[m - 1]
      for i in stride(from: m - 2, through: 0, by: -1) { y[i] = (rhs[i] - b[i] * y[i + 1]) / diagonal[i] }
      let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
      y = y.map { $0 / norm }
    }
    return (theta, y)
  }

  /// The dot product of two `Double` vectors, reassociated so that it vectorizes.
  static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
    var sum = 0.0
    for i in 0..<count { sum = sml_add_d(sum, sml_mul_d(x[i], y[i])) }
    return sum
  }

  static func normalize(_ x: UnsafeMutablePointer<Double>, count: Int) {
    let norm = dot(x, x, count: count).squareRoot()
    guard norm > 0 else { return }
    for i in 0..<count { x[i] /= norm }
  }
}
