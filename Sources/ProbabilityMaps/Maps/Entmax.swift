import CKernels
import TensorCore

/// α-entmax for any `α ≥ 1`: `pᵢ = [(α−1)xᵢ − τ]₊^{1/(α−1)}` with `τ` chosen so that `Σp = 1`
/// (Peters, Niculae & Martins, 2019), one `α` for all rows or one per row.
///
/// `α → 1` is softmax (rows with `α − 1 ≤ 10⁻⁶` are computed as softmax), `α = 2` is ``Sparsemax``, and larger
/// `α` is sparser. The threshold is found by bisection in `Double` on the bracket
/// `[M − 1, M − n^{1−α}]` (`M` the largest scaled score), restricted to the scores that can be in the
/// support, and the result is renormalised. For `α = 1.5` and `α = 2` the exact ``Entmax15`` and
/// ``Sparsemax`` are faster.
public struct Entmax: ProbabilityMap {
  /// One `α` shared by every row, or one per row.
  public let alphas: [Double]
  /// The number of bisection steps (each halves the bracket, which is at most 1 wide).
  public let iterations: Int

  /// The `α` below which (by at most this much above 1) a row is computed as softmax.
  static let softmaxTolerance = 1e-6

  /// Creates α-entmax with one `α` for every row.
  ///
  /// - Parameters:
  ///   - alpha: `α ≥ 1`.
  ///   - iterations: Bisection steps, 1 to 200 (default 60, enough for `Double` precision).
  /// - Throws: ``ProbabilityMapError/invalidParameter(_:)`` for `α < 1`, a non-finite `α` or bad `iterations`.
  public init(alpha: Double, iterations: Int = 60) throws {
    try self.init(alphaPerRow: [alpha], iterations: iterations)
  }

  /// Creates α-entmax with one `α` per row (the rows of the tensors it is applied to).
  ///
  /// - Parameters:
  ///   - alphaPerRow: `α ≥ 1` for each row; a single value is shared by all rows.
  ///   - iterations: Bisection steps, 1 to 200 (default 60).
  /// - Throws: ``ProbabilityMapError/invalidParameter(_:)`` for an empty list, any `α < 1` or non-finite, or bad
  ///   `iterations`.
  public init(alphaPerRow: [Double], iterations: Int = 60) throws {
    guard !alphaPerRow.isEmpty else {
      throw ProbabilityMapError.invalidParameter("entmax alpha: the list of alphas is empty")
    }
    if let bad = alphaPerRow.firstIndex(where: { !($0.isFinite && $0 >= 1) }) {
      throw ProbabilityMapError.invalidParameter(
        "entmax alpha must be finite and >= 1, got \(alphaPerRow[bad]) (row \(bad))")
    }
    guard (1...200).contains(iterations) else {
      throw ProbabilityMapError.invalidParameter("entmax iterations must be in 1...200, got \(iterations)")
    }
    self.alphas = alphaPerRow
    self.iterations = iterations
  }

  /// α-entmax for an `α` already checked to be finite and ≥ 1.
  static func validated(alpha: Double) -> Entmax { Entmax(checkedAlphas: [alpha]) }

  private init(checkedAlphas: [Double]) {
    self.alphas = checkedAlphas
    self.iterations = 60
  }

  /// The `α` of a row.
  @inline(__always)
  func alpha(row: Int) -> Double { alphas.count == 1 ? alphas[0] : alphas[row] }

  /// Checks that a per-row `α` list matches the rows of `tensor`.
  func checkRows<S>(_ tensor: Tensor<S>, name: String) throws -> Int {
    let (rows, n) = try RowDriver.rowShape(tensor, name: name)
    guard alphas.count == 1 || alphas.count == rows else {
      throw ProbabilityMapError.invalidParameter(
        "entmax alpha: \(alphas.count) per-row alphas for \(rows) rows of \(name) (shape \(tensor.shape))")
    }
    return n
  }

  /// The α-entmax of every row.
  ///
  /// - Complexity: O(n + iterations·c) per row for `c` scores within `1/(α−1)` of the row maximum.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(_ scores: Tensor<S>) throws -> Tensor<S> {
    let n = try checkRows(scores, name: "scores")
    return RowDriver.map(scores, workspaceCount: n) { row, x, out, workspace in
      let alpha = self.alpha(row: row)
      if alpha - 1 <= Entmax.softmaxTolerance {
        RowKernels.softmax(x, inverseTemperature: 1, into: out)
        return
      }
      let (maximum, isInvalid) = RowKernels.maximum(x)
      if RowDriver.settleDegenerateRow(maximum: maximum, isInvalid: isInvalid, out) { return }
      let scale = alpha - 1
      let exponent = 1 / scale
      let count = RowKernels.candidates(x, maximum: maximum, scale: scale, into: workspace)
      func mass(_ tau: Double) -> Double {
        var total = 0.0
        for i in 0..<count where workspace[i] > tau { total += Double.power(workspace[i] - tau, exponent) }
        return total
      }
      var (lower, upper) = (-1.0, -Double.power(Double(x.count), -scale))
      for _ in 0..<iterations {
        let middle = (lower + upper) / 2
        if middle <= lower || middle >= upper { break }
        if mass(middle) >= 1 { lower = middle } else { upper = middle }
      }
      let normalizer = 1 / mass(lower)
      for i in 0..<x.count {
        let shifted = scale * Double(x[i] - maximum) - lower
        out[i] = shifted > 0 ? S(Double.power(shifted, exponent) * normalizer) : 0
      }
    }
  }

  /// `g ⊙ (v − ⟨g, v⟩/Σg)` with `g = p^{2−α}` on the support.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(scores: Tensor<S>, output: Tensor<S>, gradient: Tensor<S>) throws
    -> Tensor<S>
  {
    try checkBackwardShapes(scores: scores, output: output, gradient: gradient)
    _ = try checkRows(scores, name: "scores")
    return RowDriver.map(output, gradient) { row, p, v, out in
      let weightExponent = S(2 - max(alpha(row: row), 1))
      for i in 0..<p.count { out[i] = p[i] > 0 ? S.power(p[i], weightExponent) : 0 }
      RowKernels.simplexBackward(
        UnsafeBufferPointer(out), gradient: v, factor: 1, weights: SML_WEIGHTS_AS_GIVEN, into: out)
    }
  }

  /// The gradient with respect to `α` of each row (Correia, Niculae & Martins, 2019).
  ///
  /// With `Sᵢ = pᵢ log pᵢ`, `H = ΣSᵢ`, `g = p^{2−α}` and `p̃ = g/Σg`:
  /// ```
  /// ∂p/∂α = (p − p̃)/(α−1)² − (S − p̃·H)/(α−1),    dα = ⟨v, ∂p/∂α⟩
  /// ```
  /// Sum the entries for an `α` shared by all rows. Rows computed as softmax (`α − 1 ≤ 10⁻⁶`) get 0.
  /// - Parameters:
  ///   - output: What ``forward(_:)`` returned.
  ///   - gradient: The gradient `v` of the objective with respect to `output`.
  /// - Returns: `dα` for every row, in `Double`.
  /// - Throws: ``ProbabilityMapError/invalidInput(_:)`` when the shapes differ or the alphas do not match the rows.
  public func alphaGradient<S: ProbabilityScalar>(output: Tensor<S>, gradient: Tensor<S>) throws -> [Double] {
    let n = try checkRows(output, name: "output")
    try RowDriver.requireSameShape(gradient, "gradient", as: output, "output")
    let rows = output.count / n
    return (0..<rows).map { row in
      let alpha = self.alpha(row: row)
      guard alpha - 1 > Entmax.softmaxTolerance else { return 0 }
      var (weightSum, entropyTerm) = (0.0, 0.0)
      for i in 0..<n {
        let p = Double(output.scalars[row * n + i])
        guard p > 0 else { continue }
        weightSum += Double.power(p, 2 - alpha)
        entropyTerm += p * Double.logarithm(p)
      }
      guard weightSum > 0 else { return 0 }
      var result = 0.0
      for i in 0..<n {
        let p = Double(output.scalars[row * n + i])
        guard p > 0 else { continue }
        let tilde = Double.power(p, 2 - alpha) / weightSum
        let derivative =
          (p - tilde) / ((alpha - 1) * (alpha - 1)) - (p * Double.logarithm(p) - tilde * entropyTerm) / (alpha - 1)
        result += Double(gradient.scalars[row * n + i]) * derivative
      }
      return result
    }
  }
}
