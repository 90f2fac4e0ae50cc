import TensorCore

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
/// The iteration stops once `ρ ≤ tolerance · γ`, so the captured energy `θ₁` is within `tolerance² · γ` of the
/// optimum and the factors within `tolerance` of the exact ones. Slices whose gap is too small to reach that
/// in ``maximumSteps`` steps (flat spectra of large slices) return `nil`, and the caller takes the exact SVD.
struct TopSingularPair {
  /// The bound on `ρ / γ` at which the iteration stops.
  static let tolerance = 1e-7
  /// The most Lanczos steps before giving up on a slice.
  static let maximumSteps = 48

  /// The unit right singular vector `v` (length `columns`).
  let v: [Double]
  /// `σ = ‖A v‖`.
  let sigma: Double

  /// Runs Lanczos on `AᵀA` for the row-major `rows × columns` matrix `a`, starting from `start`.
  ///
  /// - Returns: The converged pair, or `nil` when the bound is not met within ``maximumSteps`` steps.
  /// - Complexity: O(steps·(rows·columns + steps·columns) + steps⁴/8) (the last term from checking the
  ///   tridiagonal every fourth step).
  init?(_ a: UnsafePointer<Double>, rows: Int, columns: Int, start: UnsafePointer<Double>) {
    let limit = min(Self.maximumSteps, columns)
    var basis = [Double](repeating: 0, count: (limit + 1) * columns)
    var t = [Double](repeating: 0, count: rows)
    var alpha: [Double] = []
    var beta: [Double] = []
    var result: (Double, [Double])?
    basis.withUnsafeMutableBufferPointer { q in
      t.withUnsafeMutableBufferPointer { t in
        let startNorm = (0..<columns).reduce(0) { $0 + start[$1] * start[$1] }.squareRoot()
        guard startNorm > 0, startNorm.isFinite else { return }
        for j in 0..<columns { q[j] = start[j] / startNorm }
        for step in 0..<limit {
          let qj = q.baseAddress! + step * columns
          let z = qj + columns
          // z = Aᵀ (A q_j)
          for i in 0..<rows {
            let row = a + i * columns
            var sum = 0.0
            for j in 0..<columns { sum += row[j] * qj[j] }
            t[i] = sum
          }
          for j in 0..<columns { z[j] = 0 }
          for i in 0..<rows {
            let (row, ti) = (a + i * columns, t[i])
            for j in 0..<columns { z[j] += ti * row[j] }
          }
          alpha.append((0..<columns).reduce(0) { $0 + z[$1] * qj[$1] })
          for _ in 0..<2 {
            for previous in 0...step {
              let qi = q.baseAddress! + previous * columns
              let dot = (0..<columns).reduce(0) { $0 + z[$1] * qi[$1] }
              for j in 0..<columns { z[j] -= dot * qi[j] }
            }
          }
          let next = (0..<columns).reduce(0) { $0 + z[$1] * z[$1] }.squareRoot()
          let m = step + 1
          let invariant = next <= 1e-14 * abs(alpha[0]) || m == columns
          if invariant || m % 4 == 0 || m == limit,
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
    for i in 0..<rows {
      var sum = 0.0
      for j in 0..<columns { sum += a[i * columns + j] * self.v[j] }
      sigma2 += sum * sum
    }
    sigma = sigma2.squareRoot()
  }

  /// The top eigenpair of the `m × m` Lanczos tridiagonal and its gap to the second eigenvalue.
  private static func topRitzPair(
    alpha: [Double], beta: [Double], steps m: Int
  ) -> (value: Double, vector: [Double], gap: Double)? {
    var tridiagonal = Tensor<Double>(zeros: [m, m])
    for i in 0..<m {
      tridiagonal[i, i] = alpha[i]
      if i + 1 < m {
        tridiagonal[i, i + 1] = beta[i]
        tridiagonal[i + 1, i] = beta[i]
      }
    }
    guard let (values, vectors) = try? symmetricEigendecomposition(tridiagonal) else { return nil }
    let top = values[m - 1]
    let gap = m > 1 ? top - values[m - 2] : top
    return (top, (0..<m).map { vectors[$0, m - 1] }, gap)
  }
}
