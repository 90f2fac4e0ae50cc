import TensorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// α-entmax for any `α ≥ 1`: `pᵢ = [1 + (α−1)(xᵢ − τ)]₊^{1/(α−1)}` with `τ` chosen so that `Σp = 1`
/// (Peters, Niculae & Martins, 2019), one `α` for all rows or one per row.
///
/// `α = 1` is softmax (and `α → 1` tends to it continuously), `α = 2` is ``Sparsemax``, and larger `α` is
/// sparser. The threshold is exact to the resolution of `Double` for every `α > 1` and every scale of the
/// scores: a safeguarded Newton iteration on a parameterisation without cancellation (a `log1p` shift form
/// for `α − 1 < 1/64`, a boundary form with the unknown `log p_min` above), not a fixed number of bisection
/// steps. Rows holding a NaN or `+inf` give NaN rows; `-inf` scores are excluded. For `α = 1.5` and `α = 2` the closed
/// forms ``Entmax15`` and ``Sparsemax`` are faster.
public struct Entmax: ProbabilityMap {
  /// One `α` shared by every row, or one per row.
  public let alphas: [Double]

  /// Below this `α − 1`, ``alphaGradient(output:outputGradient:)`` uses its limit at `α = 1`.
  static let alphaGradientLimitTolerance = 1e-5

  /// Creates α-entmax with one `α` for every row.
  ///
  /// - Parameter alpha: `α ≥ 1`, finite.
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` for `α < 1` or a non-finite `α`.
  public init(alpha: Double) throws {
    try self.init(alphaPerRow: [alpha])
  }

  /// Creates α-entmax with one `α` per row (the rows of the tensors it is applied to).
  ///
  /// - Parameter alphaPerRow: `α ≥ 1` for each row; a single value is shared by all rows.
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` for an empty list or any `α < 1` or non-finite.
  public init(alphaPerRow: [Double]) throws {
    guard !alphaPerRow.isEmpty else {
      throw ProbabilityMapError.parameterCountMismatch(map: "entmax", parameter: "alpha", count: 0, rows: 0)
    }
    if let bad = alphaPerRow.firstIndex(where: { !($0.isFinite && $0 >= 1) }) {
      throw ProbabilityMapError.invalidParameter(
        map: "entmax", parameter: alphaPerRow.count == 1 ? "alpha" : "alpha of row \(bad)", value: alphaPerRow[bad],
        requirement: "finite and at least 1")
    }
    self.alphas = alphaPerRow
  }

  /// α-entmax for an `α` already checked to be finite and ≥ 1.
  static func validated(alpha: Double) -> Entmax { Entmax(checkedAlphas: [alpha]) }

  private init(checkedAlphas: [Double]) { self.alphas = checkedAlphas }

  /// The `α` of a row.
  @inline(__always)
  func alpha(row: Int) -> Double { alphas.count == 1 ? alphas[0] : alphas[row] }

  /// Checks that a per-row `α` list matches the rows of `tensor`.
  func checkRows<S>(_ tensor: Tensor<S>, name: String) throws -> Int {
    let (rows, n) = try RowDriver.rowShape(tensor, name: name)
    try checkRows(rows)
    return n
  }

  /// Checks that a per-row `α` list matches `rows`.
  func checkRows(_ rows: Int) throws {
    guard alphas.count == 1 || alphas.count == rows else {
      throw ProbabilityMapError.parameterCountMismatch(map: "entmax", parameter: "alpha", count: alphas.count, rows: rows)
    }
  }

  /// The α-entmax of every row.
  ///
  /// - Complexity: O(n) per row, plus O(c log c) expected for the `c` scores within `1/(α−1)` of the row
  ///   maximum and O(s) per Newton step on a support of size `s` (about ten steps).
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    try checkRows(RowDriver.rowCount(scores.count, length: n, name: "scores"))
    try RowDriver.map(scores, length: n, into: output, workspaceCount: n) { row, x, out, workspace in
      let alpha = self.alpha(row: row)
      guard alpha > 1 else {
        RowKernels.softmax(x, inverseTemperature: 1, into: out)
        return
      }
      let (maximum, isInvalid) = RowKernels.maximum(x)
      if RowDriver.settleDegenerateRow(maximum: maximum, isInvalid: isInvalid, out) { return }
      EntmaxSolver.row(x, into: out, beta: alpha - 1, maximum: maximum, workspace: workspace)
    }
  }

  /// `g ⊙ (v − ⟨g, v⟩/Σg)` with `g = p^{2−α}` on the support, in `Double`.
  ///
  /// The mean `⟨g, v⟩/Σg` does not change when `g` is scaled, so it is formed from `(p/p_ref)^{2−α}` with
  /// `p_ref` the largest (`α ≤ 2`) or smallest (`α > 2`) positive probability, at most 1 and never
  /// overflowing; each entry `p^{2−α}(v − mean)` is then evaluated in the log domain. Only a true gradient
  /// beyond the range of `S` becomes `±inf` (`α = 50` and `p = 10⁻¹⁰` give `p^{−48} = 10⁴⁸`, beyond `Float`).
  /// A row whose output or gradient holds a NaN or an infinity gets NaN.
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    try checkRows(RowDriver.rowCount(scores.count, length: n, name: "scores"))
    try RowDriver.map(output, gradient, length: n, into: result) { row, p, v, out in
      guard p.allSatisfy(\.isFinite), v.allSatisfy(\.isFinite) else {
        out.update(repeating: .nan)
        return
      }
      let exponent = 2 - alpha(row: row)
      let reference = Entmax.referenceLogarithm(p, exponent: exponent)
      var (total, dot) = (0.0, 0.0)
      for i in 0..<p.count where p[i] > 0 {
        let weight = exp(exponent * (log(Double(p[i])) - reference))
        total += weight
        dot += weight * Double(v[i])
      }
      let mean = total > 0 ? dot / total : 0
      for i in 0..<p.count {
        let centered = Double(v[i]) - mean
        guard p[i] > 0, centered != 0 else {
          out[i] = 0
          continue
        }
        let magnitude = exp(exponent * log(Double(p[i])) + log(abs(centered)))
        out[i] = S(centered > 0 ? magnitude : -magnitude)
      }
    }
  }

  /// The logarithm of the positive probability that makes `(p/p_ref)^{exponent}` at most 1 over the row:
  /// the largest for a non-negative `exponent`, the smallest for a negative one (0 for a row without one).
  static func referenceLogarithm<S: ProbabilityScalar>(_ p: UnsafeBufferPointer<S>, exponent: Double) -> Double {
    var (largest, smallest) = (-Double.infinity, Double.infinity)
    for value in p where value > 0 {
      largest = max(largest, Double(value))
      smallest = min(smallest, Double(value))
    }
    guard largest > 0 else { return 0 }
    return log(exponent >= 0 ? largest : smallest)
  }

  /// The gradient with respect to `α` of each row (Correia, Niculae & Martins, 2019).
  ///
  /// With `Sᵢ = pᵢ log pᵢ`, `H = ΣSᵢ`, `g = p^{2−α}` and `p̃ = g/Σg`:
  /// ```
  /// ∂p/∂α = (p − p̃)/(α−1)² − (S − p̃·H)/(α−1),    dα = ⟨v, ∂p/∂α⟩
  /// ```
  /// Sum the entries for an `α` shared by all rows. The two terms cancel as `α → 1`; for `α − 1 < 10⁻⁵` the
  /// limit `∂pᵢ/∂α = pᵢ(Σⱼ pⱼ log²pⱼ − log²pᵢ)/2` is used instead (relative error about `α − 1`). `p̃` is
  /// formed from rescaled weights as in ``backward(scores:output:outputGradient:)``, so large `α` does not overflow.
  /// A row whose output or gradient holds a NaN or an infinity gets NaN.
  /// - Parameters:
  ///   - output: What ``forward(_:)`` returned.
  ///   - gradient: The gradient `v` of the objective with respect to `output`.
  /// - Returns: `dα` for every row, in `Double`.
  /// - Throws: ``ProbabilityMapError`` when the shapes differ or the alphas do not match the rows.
  public func alphaGradient<S: ProbabilityScalar>(output: Tensor<S>, outputGradient gradient: Tensor<S>) throws -> [Double] {
    let n = try checkRows(output, name: "output")
    try RowDriver.requireSameShape(gradient, "gradient", as: output, "output")
    let rows = output.count / n
    return output.scalars.withUnsafeBufferPointer { outputs in
      (0..<rows).map { row in
        let p = UnsafeBufferPointer(rebasing: outputs[row * n..<(row + 1) * n])
        let v = gradient.scalars[row * n..<(row + 1) * n]
        guard p.allSatisfy(\.isFinite), v.allSatisfy(\.isFinite) else { return .nan }
        let beta = alpha(row: row) - 1
        var (weightSum, entropy, squaredLogs) = (0.0, 0.0, 0.0)
        let reference = Entmax.referenceLogarithm(p, exponent: 1 - beta)
        for value in p where value > 0 {
          let logarithm = log(Double(value))
          weightSum += exp((1 - beta) * (logarithm - reference))
          entropy += Double(value) * logarithm
          squaredLogs += Double(value) * logarithm * logarithm
        }
        guard weightSum > 0 else { return 0 }
        var result = 0.0
        for (value, upstream) in zip(p, v) where value > 0 {
          let probability = Double(value)
          let logarithm = log(probability)
          let derivative: Double
          if beta < Entmax.alphaGradientLimitTolerance {
            derivative = probability * (squaredLogs - logarithm * logarithm) / 2
          } else {
            let tilde = exp((1 - beta) * (logarithm - reference)) / weightSum
            derivative = (probability - tilde) / (beta * beta) - (probability * logarithm - tilde * entropy) / beta
          }
          result += Double(upstream) * derivative
        }
        return result
      }
    }
  }
}
