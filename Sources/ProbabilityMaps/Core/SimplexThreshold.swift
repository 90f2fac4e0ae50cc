/// Thresholds `τ` of the sparse maps, found on the few scores that can be in the support.
///
/// Both thresholds use a filter first: the largest probability is at most 1, so a score more than
/// `1/(α−1)` below the row maximum (1 for sparsemax, 2 for 1.5-entmax) is never in the support. The
/// survivors go to the workspace, typically a small fraction of the row.
enum SimplexThreshold {
  /// Copies `scale·(xᵢ − maximum)` for the scores at or above `maximum − 1/scale` into `candidates` and returns
  /// how many there are.
  ///
  /// - Complexity: O(n).
  @inline(__always)
  static func filter<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, maximum: S, scale: Double, into candidates: UnsafeMutableBufferPointer<Double>
  ) -> Int {
    let cut = maximum - S(1 / scale)
    var count = 0
    for value in x where value >= cut {
      candidates[count] = scale * Double(value - maximum)
      count += 1
    }
    return count
  }

  /// The sparsemax threshold of `z` (the first `count` candidates) by Michelot's algorithm.
  ///
  /// Starting from all candidates, `τ = (Σz − 1)/|S|` is a lower bound of the true threshold as long as `S`
  /// contains the support, so dropping every `zᵢ ≤ τ` keeps the support; repeat until nothing drops. Each
  /// round is linear and rounds shrink the set, so the cost is expected linear (worst case quadratic in
  /// the candidate count).
  /// - Returns: The threshold `τ` and the support size.
  /// - Complexity: O(c) expected for `c` candidates.
  static func sparsemax(_ z: UnsafeMutableBufferPointer<Double>, count: Int) -> (tau: Double, support: Int) {
    var size = count
    var total = 0.0
    for i in 0..<size { total += z[i] }
    var tau = (total - 1) / Double(size)
    while true {
      var kept = 0
      total = 0
      for i in 0..<size where z[i] > tau {
        z[kept] = z[i]
        total += z[i]
        kept += 1
      }
      if kept == size { return (tau, size) }
      size = kept
      tau = (total - 1) / Double(size)
    }
  }

  /// The 1.5-entmax threshold of `z` (the first `count` candidates, already halved) by the sort-based
  /// closed form of Peters et al.: `τ_ρ = μ_ρ − √max(0, 1/ρ − σ²_ρ)` over the sorted prefixes, with the
  /// support size `s = #{ρ : τ_ρ ≤ z_(ρ)}`.
  ///
  /// - Returns: The threshold `τ` and the support size.
  /// - Complexity: O(c log c) for `c` candidates.
  static func entmax15(_ z: UnsafeMutableBufferPointer<Double>, count: Int) -> (tau: Double, support: Int) {
    var sorted = UnsafeMutableBufferPointer(rebasing: z[0..<count])
    sorted.sort(by: >)
    var (sum, sumOfSquares) = (0.0, 0.0)
    var support = 0
    for rho in 1...count {
      sum += sorted[rho - 1]
      sumOfSquares += sorted[rho - 1] * sorted[rho - 1]
      if prefixThreshold(sum: sum, sumOfSquares: sumOfSquares, size: rho) <= sorted[rho - 1] { support += 1 }
    }
    (sum, sumOfSquares) = (0, 0)
    for value in sorted[0..<support] {
      sum += value
      sumOfSquares += value * value
    }
    return (prefixThreshold(sum: sum, sumOfSquares: sumOfSquares, size: support), support)
  }

  /// `τ_ρ = μ − √max(0, 1/ρ − σ²)` for a prefix of `size` sorted candidates with the given moments.
  @inline(__always)
  private static func prefixThreshold(sum: Double, sumOfSquares: Double, size: Int) -> Double {
    let r = Double(size)
    let mean = sum / r
    return mean - max(0, 1 / r - (sumOfSquares / r - mean * mean)).squareRoot()
  }
}
