import TensorCore

/// Fenchel–Young losses with one-hot targets: cross-entropy, the sparsemax loss and the entmax losses
/// (Blondel, Martins & Niculae, 2020).
///
/// For a regularised prediction `p = argmax_{q∈Δ} ⟨x, q⟩ + H(q)` and a target class `t`,
/// ```
/// L(x; t) = ⟨p − e_t, x⟩ + H(p),    ∇ₓL = p − e_t,
/// ```
/// with the Shannon entropy for `α = 1` (then `L = logsumexp(x) − x_t`, the cross-entropy) and the Tsallis
/// entropy `H(p) = (1 − Σpᵢ^α)/(α(α−1))` for `α > 1` (`α = 2`: sparsemax loss, `α = 1.5`: 1.5-entmax loss).
/// `L ≥ 0`, and `L = 0` exactly when `p = e_t`. Only entries with `pᵢ > 0` enter the inner product, so
/// masked (`-inf`) scores give no NaN; a masked target gives `+inf`. A row holding a NaN or `+inf` score gets a
/// NaN loss and a NaN gradient row. A loss whose true value exceeds `Double` (scores near ±10³⁰⁸ of opposite
/// signs) is `+inf`.
public struct FenchelYoungLoss: Sendable {
  /// The entmax `α` of the regulariser (1 for softmax).
  public let alpha: Double

  /// Creates the Fenchel–Young loss of α-entmax.
  ///
  /// - Parameter alpha: `α ≥ 1`.
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` for `α < 1` or non-finite.
  public init(alpha: Double) throws {
    self.alpha = try Entmax(alpha: alpha).alphas[0]
  }

  /// The cross-entropy loss of softmax.
  public static let crossEntropy = FenchelYoungLoss(validAlpha: 1)
  /// The sparsemax loss.
  public static let sparsemax = FenchelYoungLoss(validAlpha: 2)
  /// The 1.5-entmax loss.
  public static let entmax15 = FenchelYoungLoss(validAlpha: 1.5)

  private init(validAlpha: Double) { self.alpha = validAlpha }

  /// The map whose prediction the loss compares with the target: the exact one for `α` of 1, 1.5 and 2.
  public var map: any ProbabilityMap {
    switch alpha {
    case 1: return Softmax.standard
    case 1.5: return Entmax15()
    case 2: return Sparsemax()
    default: return Entmax.validated(alpha: alpha)
    }
  }

  /// The loss of every row and its gradient.
  ///
  /// - Parameters:
  ///   - scores: Logits of any rank ≥ 1; rows along the last axis.
  ///   - targets: The target class of every row.
  /// - Returns: The per-row losses and `p − e_t`.
  /// - Throws: ``ProbabilityMapError`` for a target count or class that does not fit the scores.
  /// - Complexity: One forward of ``map`` plus O(n) per row.
  public func callAsFunction<S: ProbabilityScalar>(_ scores: Tensor<S>, targets: [Int]) throws -> LossResult<S> {
    let (rows, n) = try checkTargets(targets, for: scores)
    var gradient = try map.forward(scores)
    var values = [Double](repeating: 0, count: rows)
    for row in 0..<rows {
      let target = targets[row]
      let targetScore = Double(scores.scalars[row * n + target])
      var (inner, power, maximum) = (0.0, 0.0, -Double.infinity)
      for i in 0..<n {
        let p = Double(gradient.scalars[row * n + i])
        maximum = max(maximum, Double(scores.scalars[row * n + i]))
        guard p > 0 else { continue }
        inner += p * (Double(scores.scalars[row * n + i]) - targetScore)
        power += alpha == 1 ? -p * Double.logarithm(p) : Double.power(p, alpha)
      }
      if !(maximum < .infinity) || gradient.scalars[row * n..<(row + 1) * n].contains(where: \.isNaN) {
        values[row] = .nan  // a NaN or +inf score: the prediction is a NaN row (see ProbabilityMap)
      } else if targetScore == -.infinity {
        values[row] = .infinity
      } else if alpha == 1 {
        var sum = 0.0
        for i in 0..<n { sum += Double.exponential(Double(scores.scalars[row * n + i]) - maximum) }
        values[row] = maximum + Double.logarithm(sum) - targetScore
      } else {
        values[row] = max(0, inner + (1 - power) / (alpha * (alpha - 1)))
      }
      gradient.scalars[row * n + target] -= 1
    }
    return LossResult(values: values, gradient: gradient)
  }
}
