#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Independent references for the probability maps in `Float80` (64-bit significand, exponent range to
/// 10⁴⁹³²), written from the definitions with sorting and plain bisection: nothing here shares code or
/// algorithm with the library's kernels, and no intermediate of a `Float` or `Double` row can overflow.
enum Reference {
  typealias Real = Float80

  /// `x^y`.
  static func power(_ x: Real, _ y: Real) -> Real { powl(x, y) }

  /// The natural logarithm.
  static func log(_ x: Real) -> Real { logl(x) }

  /// `row` without its `-inf` entries, and whether each entry is kept.
  private static func finite(_ row: [Real]) -> [Real] { row.filter { $0 > -.infinity } }

  /// Softmax of `x/T` (masked entries 0).
  static func softmax(_ row: [Real], temperature: Real = 1) -> [Real] {
    let top = finite(row).max()!
    let e = row.map { $0 == -.infinity ? 0 : expl(($0 - top) / temperature) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
  }

  /// Log-softmax of `x/T` (masked entries `-inf`).
  static func logSoftmax(_ row: [Real], temperature: Real = 1) -> [Real] {
    let top = finite(row).max()!
    let total = row.reduce(Real(0)) { $0 + ($1 == -.infinity ? 0 : expl(($1 - top) / temperature)) }
    return row.map { $0 == -.infinity ? -.infinity : ($0 - top) / temperature - logl(total) }
  }

  /// Taylor softmax `f(x)/Σf` with `f(x) = 1 + x + x²/2`.
  static func taylor(_ row: [Real]) -> [Real] {
    let f = row.map { $0 == -.infinity ? 0 : 1 + $0 + $0 * $0 / 2 }
    let total = f.reduce(0, +)
    return f.map { $0 / total }
  }

  /// Softmax over the `k` largest entries (ties by position), zero elsewhere.
  static func topK(_ row: [Real], k: Int, temperature: Real = 1) -> [Real] {
    let order = row.indices.filter { row[$0] > -.infinity }.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
    let kept = Set(order.prefix(k))
    return softmax(row.indices.map { kept.contains($0) ? row[$0] : -.infinity }, temperature: temperature)
  }

  /// Sparsemax by the sort-based support rule on scores shifted by their maximum.
  static func sparsemax(_ row: [Real]) -> [Real] { entmax(row, alpha: 2) }

  /// α-entmax (`α > 1`) of the scores shifted by their maximum: the support is the longest sorted prefix whose mass at its last score,
  /// `Σⱼ [(α−1)(zⱼ − z_k)]^{1/(α−1)}`, is below 1; then `τ` is bisected (300 halvings) in the bracket that
  /// the support and the next score leave, and the result renormalised.
  static func entmax(_ row: [Real], alpha: Real) -> [Real] {
    let beta = alpha - 1
    let top = finite(row).max()!
    let z = finite(row).map { $0 - top }.sorted(by: >)
    func mass(_ tau: Real) -> Real {
      z.reduce(0) { $0 + ($1 > tau ? powl(beta * ($1 - tau), 1 / beta) : 0) }
    }
    var support = 1
    while support < z.count, mass(z[support]) < 1 { support += 1 }
    // τ ≥ −1/β because p_max ≤ 1.
    var (low, high) = (max(support < z.count ? z[support] : -1 / beta, -1 / beta), z[support - 1])
    for _ in 0..<300 {
      let middle = (low + high) / 2
      if mass(middle) >= 1 { low = middle } else { high = middle }
    }
    let p = row.map { $0 - top > low ? powl(beta * ($0 - top - low), 1 / beta) : 0 }
    let total = p.reduce(0, +)
    return p.map { $0 / total }
  }

  /// The entmax-family vector–Jacobian product `g ⊙ (v − ⟨g, v⟩/Σg)` with `g = p^{2−α}` on the support.
  static func familyBackward(_ p: [Real], gradient v: [Real], alpha: Real, factor: Real = 1) -> [Real] {
    let g = p.map { $0 > 0 ? powl($0, 2 - alpha) : 0 }
    let total = g.reduce(0, +)
    let mean = zip(g, v).reduce(Real(0)) { $0 + $1.0 * $1.1 } / total
    return zip(g, v).map { $0 * ($1 - mean) * factor }
  }
}

extension Array where Element: BinaryFloatingPoint {
  /// The elements in `Float80`.
  var extended: [Float80] { map { Float80($0) } }
}
