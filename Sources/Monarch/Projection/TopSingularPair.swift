/// The top singular triple of a slice to a certified accuracy: Lanczos on `AᵀA` in `Double` with full
/// reorthogonalization, stopped by an a-posteriori bound.
///
/// After `m` steps with Ritz values `θ₁ ≥ θ₂` and residual `ρ = β_m·|y_m|` of the top Ritz pair, the top
/// eigenvalue `λ₁ = σ₁²` and its eigenvector satisfy (Kato–Temple and Davis–Kahan, with the Ritz gap
/// `γ = θ₁ − θ₂` standing in for `λ₁ − λ₂`)
///
/// ```
/// 0 ≤ λ₁ − θ₁ ≤ ρ² / γ,      sin ∠(v, v₁) ≤ ρ / γ
/// ```
///
/// The iteration stops once `ρ ≤ tolerance · γ`, so the captured energy `θ₁` is within `tolerance² · γ`
/// (1e-10 of the gap) of the optimum and the singular vectors within an angle `tolerance` of the exact ones.
/// Slices whose gap is too small to reach that in ``maximumSteps`` steps (flat spectra of large slices) return
/// `nil`, and the caller takes the exact SVD.
struct TopSingularPair {
  /// The bound on `ρ / γ` at which the iteration stops.
  static let tolerance = 1e-5
  /// The most Lanczos steps before giving up on a slice.
  static let maximumSteps = 48

  /// The unit right singular vector `v` (length `columns`).
  let v: [Double]
  /// `σ = ‖A v‖`.
  let sigma: Double

  /// Runs Lanczos on `AᵀA` for the row-major `rows × columns` matrix `a`, starting from `start`.
  ///
  /// - Returns: The converged pair, or `nil` when the bound is not met within ``maximumSteps`` steps.
  /// - Complexity: O(steps·(rows·columns + steps·columns)) and O(steps²) per check of the tridiagonal (every
  ///   second step).
  init?(_ a: UnsafePointer<Double>, rows: Int, columns: Int, start: UnsafePointer<Double>) {
    let limit = min(Self.maximumSteps, columns)
    var basis = [Double](repeating: 0, count: (limit + 1) * columns)
    var t = [Double](repeating: 0, count: rows)
    var alpha: [Double] = []
    var beta: [Double] = []
    var result: (Double, [Double])?
    basis.withUnsafeMutableBufferPointer { q in
      t.withUnsafeMutableBufferPointer { t in
        let startNorm = Self.dot(start, start, count: columns).squareRoot()
        guard startNorm > 0, startNorm.isFinite else { return }
        for j in 0..<columns { q[j] = start[j] / startNorm }
        for step in 0..<limit {
          let qj = q.baseAddress! + step * columns
          let z = qj + columns
          // z = Aᵀ (A q_j)
          for i in 0..<rows { t[i] = Self.dot(a + i * columns, qj, count: columns) }
          for j in 0..<columns { z[j] = 0 }
          for i in 0..<rows {
            let (row, ti) = (a + i * columns, t[i])
            for j in 0..<columns { z[j] += ti * row[j] }
          }
          alpha.append(Self.dot(z, qj, count: columns))
          for _ in 0..<2 {
            for previous in 0...step {
              let qi = q.baseAddress! + previous * columns
              let dot = Self.dot(z, qi, count: columns)
              for j in 0..<columns { z[j] -= dot * qi[j] }
            }
          }
          let next = Self.dot(z, z, count: columns).squareRoot()
          let m = step + 1
          let invariant = next <= 1e-14 * abs(alpha[0]) || m == columns
          if invariant || m % 2 == 0 || m == limit,
            let ritz = Self.topRitzPair(alpha: alpha, beta: beta, steps: m)
          {
            let residual = next * abs(ritz.vector[m - 1])
            if invariant || residual <= Self.tolerance * ritz.gap {
              var v = [Double](repeating: 0, count: columns)
              for i in 0..<m {
                let qi = q.baseAddress! + i * columns
                for j in 0..<columns { v[j] += ritz.vector[i] * qi[j] }
              }
              result = (ritz.value, v)
              return
            }
          }
          guard step + 1 < limit else { return }
          beta.append(next)
          for j in 0..<columns { z[j] /= next }
        }
      }
    }
    guard let (_, v) = result else { return nil }
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    self.v = v.map { $0 / norm }
    var sigma2 = 0.0
    self.v.withUnsafeBufferPointer { v in
      for i in 0..<rows {
        let sum = Self.dot(a + i * columns, v.baseAddress!, count: columns)
        sigma2 += sum * sum
      }
    }
    sigma = sigma2.squareRoot()
  }

  /// `Σ x[i]·y[i]` with four running sums (independent chains the CPU overlaps).
  static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
    var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 4 <= count {
      s0 += x[i] * y[i]
      s1 += x[i + 1] * y[i + 1]
      s2 += x[i + 2] * y[i + 2]
      s3 += x[i + 3] * y[i + 3]
      i += 4
    }
    while i < count {
      s0 += x[i] * y[i]
      i += 1
    }
    return (s0 + s1) + (s2 + s3)
  }

  /// The top eigenpair of the `m × m` Lanczos tridiagonal (diagonal `alpha`, off-diagonal `beta`) and its gap
  /// to the second eigenvalue: both eigenvalues by Sturm-sequence bisection, the vector by inverse iteration
  /// with a shift just above the top eigenvalue (so `T − shift·I` is negative definite and needs no pivoting).
  private static func topRitzPair(
    alpha: [Double], beta: [Double], steps m: Int
  ) -> (value: Double, vector: [Double], gap: Double)? {
    var radius = 0.0
    var low = Double.infinity
    var high = -Double.infinity
    for i in 0..<m {
      radius = (i > 0 ? abs(beta[i - 1]) : 0) + (i + 1 < m ? abs(beta[i]) : 0)
      low = min(low, alpha[i] - radius)
      high = max(high, alpha[i] + radius)
    }
    guard low.isFinite, high.isFinite else { return nil }
    let scale = max(abs(low), abs(high), .leastNormalMagnitude)
    /// The number of eigenvalues below `x`.
    func below(_ x: Double) -> Int {
      var count = 0
      var d = 1.0
      for i in 0..<m {
        let coupling = i > 0 ? beta[i - 1] * beta[i - 1] / d : 0
        d = alpha[i] - x - coupling
        if d == 0 { d = -1e-300 }
        if d < 0 { count += 1 }
      }
      return count
    }
    /// The eigenvalue with `index` eigenvalues below it (0-based from the bottom).
    func eigenvalue(_ index: Int) -> Double {
      var (a, b) = (low - 1e-12 * scale, high + 1e-12 * scale)
      for _ in 0..<200 where b - a > 4 * Double.ulpOfOne * scale {
        let middle = 0.5 * (a + b)
        if below(middle) > index { b = middle } else { a = middle }
      }
      return 0.5 * (a + b)
    }
    let top = eigenvalue(m - 1)
    let second = m > 1 ? eigenvalue(m - 2) : 0
    let shift = top + 1e-10 * scale
    var y = [Double](repeating: 1, count: m)
    var diagonal = [Double](repeating: 0, count: m)
    for _ in 0..<3 {
      // Solve (T − shift·I) y' = y by elimination down the diagonal, then back substitution.
      for i in 0..<m {
        diagonal[i] = alpha[i] - shift
        if i > 0 {
          let factor = beta[i - 1] / diagonal[i - 1]
          diagonal[i] -= factor * beta[i - 1]
          y[i] -= factor * y[i - 1]
        }
      }
      y[m - 1] /= diagonal[m - 1]
      for i in stride(from: m - 2, through: 0, by: -1) { y[i] = (y[i] - beta[i] * y[i + 1]) / diagonal[i] }
      let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
      guard norm.isFinite, norm > 0 else { return nil }
      for i in 0..<m { y[i] /= norm }
    }
    return (top, y, m > 1 ? top - second : top)
  }
}
