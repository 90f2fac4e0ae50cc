#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The exact α-entmax of one row for any `α > 1`, at every scale of the scores.
///
/// With `β = α − 1`, `pᵢ = [1 + β(xᵢ − τ)]₊^{1/β}` for the `τ` that makes `Σp = 1`. Writing the bases
/// `pᵢ^β` as differences from `τ` (as bisection on `τ` does) loses them to cancellation exactly where they
/// matter: for large `α` a base `pᵢ^β` of 10⁻⁴⁷ still gives `pᵢ = 0.11` at `α = 50`, far below the
/// resolution of `τ`. The solver therefore uses two exact parameterisations, each free of cancellation in
/// its range of `β`, and a safeguarded Newton iteration (Newton steps inside a bracket that shrinks, bisection
/// when a step leaves it) run to the resolution of `Double`:
///
/// - **Shift form** (`β < 1/64`): with `Δᵢ = xᵢ − max x` and the unknown shift `c = τ − max x ∈ [0, log n]`,
///   `log pᵢ = log1p(β(Δᵢ − c))/β`. The bases are close to 1, and `log1p` keeps their small distance to 1,
///   so the map is right down to `β = 10⁻³⁰⁰` and tends to softmax as `β → 0`.
/// - **Boundary form** (`β ≥ 1/64`): the support's smallest score `x_m` is found first, by a quickselect over
///   the candidates with the exact support test `Σⱼ [β(xⱼ − x_m)]₊^{1/β} < 1` (every term a positive power of
///   a difference of input scores, so ties stay ties). With the unknown `u = log p_m`, every base is the sum
///   of two non-negative terms, `pᵢ^β = e^{βu} + β(xᵢ − x_m)`, evaluated in the log domain: no cancellation,
///   no overflow, and `u` itself may be far below the exponent range of `e^{βu}` (ties at `α = 10⁶`).
enum EntmaxSolver {
  /// The `β = α − 1` from which on the boundary form is used.
  static let boundaryFormThreshold = 1.0 / 64

  /// Writes the α-entmax (`α = 1 + beta`, `beta > 0`) of a row with no NaN or `+inf` and not all `-inf`.
  ///
  /// - Parameters:
  ///   - x: The scores.
  ///   - out: The probabilities, `x.count` of them.
  ///   - beta: `α − 1 > 0`.
  ///   - maximum: The largest score (finite).
  ///   - workspace: Room for `x.count` doubles.
  /// - Complexity: O(n) to collect the scores within `1/β` of the maximum, then O(c log c) expected for the
  ///   boundary search over those `c` candidates (boundary form only) and O(s) per Newton step on the
  ///   support of size `s` (about ten steps).
  static func row<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, beta: Double, maximum: S,
    workspace: UnsafeMutableBufferPointer<Double>
  ) {
    let top = Double(maximum)
    var count = 0
    for value in x {
      let score = Double(value)
      if beta * (top - score) < 1 {  // false for -inf and for differences that overflow
        workspace[count] = score
        count += 1
      }
    }
    if beta < boundaryFormThreshold {
      shiftForm(x, into: out, beta: beta, top: top, candidates: workspace, count: count)
    } else {
      boundaryForm(x, into: out, beta: beta, candidates: workspace, count: count)
    }
  }

  // MARK: - Shift form

  /// The probability `[1 + β(Δ − c)]₊^{1/β}` of a score `Δ` below the maximum at shift `c`, and the derivative
  /// of its logarithm with respect to `c` (negated), `1/(1 + β(Δ − c))`.
  @inline(__always)
  private static func shiftTerm(_ delta: Double, shift: Double, beta: Double) -> (p: Double, slope: Double) {
    let y = beta * (delta - shift)
    guard y > -1 else { return (0, 0) }
    return (exp(log1p(y) / beta), 1 / (1 + y))
  }

  private static func shiftForm<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, beta: Double, top: Double,
    candidates: UnsafeMutableBufferPointer<Double>, count: Int
  ) {
    for i in 0..<count { candidates[i] = candidates[i] - top }
    // f(c) = Σp(c) − 1 falls from f(0) ≥ 0 (the maximum alone has p = 1) to f(upper) ≤ 0 (p_max = 1/count).
    func residual(_ shift: Double) -> (value: Double, derivative: Double) {
      var (mass, slope) = (0.0, 0.0)
      for i in 0..<count {
        let term = shiftTerm(candidates[i], shift: shift, beta: beta)
        mass += term.p
        slope -= term.p * term.slope
      }
      return (mass - 1, slope)
    }
    let upper = -expm1(-beta * log(Double(count))) / beta
    let shift = safeguardedNewton(lower: 0, upper: upper, increasing: false, residual)
    var total = 0.0
    for i in 0..<count { total += shiftTerm(candidates[i], shift: shift, beta: beta).p }
    for i in 0..<x.count {
      out[i] = S(shiftTerm(Double(x[i]) - top, shift: shift, beta: beta).p / total)
    }
  }

  // MARK: - Boundary form

  /// `Σⱼ [β(xⱼ − v)]₊^{1/β}`, the mass at `τ = v`, stopping early once it reaches 1.
  private static func mass(at v: Double, beta: Double, candidates: UnsafeMutableBufferPointer<Double>, count: Int)
    -> Double
  {
    var total = 0.0
    for j in 0..<count where candidates[j] > v {
      total += pow(beta * (candidates[j] - v), 1 / beta)
      if total >= 1 { return total }
    }
    return total
  }

  /// `log(e^a + e^b)` for `a` finite and `b` possibly `-inf`.
  @inline(__always)
  private static func logAddExp(_ a: Double, _ b: Double) -> Double {
    let (high, low) = a >= b ? (a, b) : (b, a)
    guard low > -.infinity else { return high }
    return high + log1p(exp(low - high))
  }

  /// The probability `exp(log(e^{βu} + d)/β)` of a support score with `log d = logGap`, and `dp/du`.
  @inline(__always)
  private static func boundaryTerm(logGap: Double, logProbability u: Double, beta: Double) -> (p: Double, slope: Double) {
    guard logGap > -.infinity else {  // a tie with x_m: p = p_m exactly, whatever the size of β·u
      let p = exp(u)
      return (p, p)
    }
    let base = logAddExp(beta * u, logGap)
    let p = exp(base / beta)
    return (p, p * exp(beta * u - base))
  }

  private static func boundaryForm<S: ProbabilityScalar>(
    _ x: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>, beta: Double,
    candidates: UnsafeMutableBufferPointer<Double>, count: Int
  ) {
    // The support is {x ≥ x_m} for the smallest candidate x_m whose mass is below 1 (the mass grows as v
    // falls). Quickselect: the live range holds the candidates strictly between the largest value known to
    // be outside and the smallest known to be inside.
    var boundary = -Double.infinity
    var inside = Double.infinity
    var (low, high) = (0, count)
    while low < high {
      let pivot = candidates[low + (high - low) / 2]
      if mass(at: pivot, beta: beta, candidates: candidates, count: count) < 1 { inside = pivot } else { boundary = pivot }
      var kept = low
      for i in low..<high where candidates[i] > boundary && candidates[i] < inside {
        candidates.swapAt(i, kept)
        kept += 1
      }
      high = kept
    }
    let smallest = inside
    var ties = 0
    var supportSize = 0
    for i in 0..<count where candidates[i] >= smallest {
      if candidates[i] == smallest { ties += 1 }
      candidates[supportSize] = log(beta * (candidates[i] - smallest))  // -inf for the ties
      supportSize += 1
    }
    func residual(_ u: Double) -> (value: Double, derivative: Double) {
      var (total, slope) = (0.0, 0.0)
      for i in 0..<supportSize {
        let term = boundaryTerm(logGap: candidates[i], logProbability: u, beta: beta)
        total += term.p
        slope += term.slope
      }
      return (total - 1, slope)
    }
    // u = log p_m ≤ −log(ties); below −800, p_m underflows and the other terms no longer depend on u.
    let upper = -log(Double(ties))
    var lower = upper - 1
    while lower > -800, residual(lower).value > 0 { lower = max(-800, upper - 2 * (upper - lower)) }
    let u = residual(lower).value >= 0 ? lower : safeguardedNewton(lower: lower, upper: upper, increasing: true, residual)
    var total = 0.0
    for i in 0..<supportSize { total += boundaryTerm(logGap: candidates[i], logProbability: u, beta: beta).p }
    for i in 0..<x.count {
      let score = Double(x[i])
      guard score >= smallest else {
        out[i] = 0
        continue
      }
      out[i] = S(boundaryTerm(logGap: log(beta * (score - smallest)), logProbability: u, beta: beta).p / total)
    }
  }

  // MARK: - Root finding

  /// The root of a monotone `residual` on `[lower, upper]` (`increasing` says which way it runs; the signs at
  /// the ends bracket the root), to the resolution of `Double`: Newton steps from the latest point while they
  /// stay strictly inside the bracket and the bracket keeps halving, bisection otherwise.
  static func safeguardedNewton(
    lower: Double, upper: Double, increasing: Bool, _ residual: (Double) -> (value: Double, derivative: Double)
  ) -> Double {
    // `below` has residual < 0, `above` has residual > 0 (for an increasing residual).
    var (below, above) = increasing ? (lower, upper) : (upper, lower)
    var point = upper
    var current = residual(point)
    var width = Double.infinity
    for _ in 0..<400 {
      if current.value == 0 { return point }
      if current.value < 0 { below = point } else { above = point }
      let (low, high) = (min(below, above), max(below, above))
      var next = point - current.value / current.derivative
      if !(next > low && next < high) || high - low > width / 2 { next = low + (high - low) / 2 }
      width = high - low
      if next <= low || next >= high || abs(next - point) <= 2 * point.ulp { return next }
      point = next
      current = residual(point)
    }
    return point
  }
}
