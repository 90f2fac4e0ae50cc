import TensorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The additive-margin softmax loss (AM-Softmax; Wang et al., 2018) on cosine logits.
///
/// With scores `xⱼ = cos(z, cⱼ)`, a margin `m` subtracted from the target and a temperature `τ`:
/// ```
/// L = −log( e^{(x_t − m)/τ} / (e^{(x_t − m)/τ} + Σ_{j≠t} e^{xⱼ/τ}) ),   ∂L/∂xⱼ = (pⱼ − δⱼₜ)/τ
/// ```
/// where `p` is the softmax of the margin-adjusted, temperature-scaled scores. Any temperature and any
/// score scale are handled (the division by `τ` happens after the shift by the row maximum, in `Double`);
/// a gradient entry whose true value exceeds the range of `S` is `±inf`. A NaN or `+inf` score gives a NaN
/// loss and gradient row; a masked (`-inf`) target gives `+inf`.
public struct MarginSoftmaxLoss: Sendable {
  /// The additive margin `m ≥ 0` taken off the target score.
  public let margin: Double
  /// The temperature `τ > 0` that divides the scores (the inverse of the usual scale `s`).
  public let temperature: Double

  /// Creates the loss.
  ///
  /// - Parameters:
  ///   - margin: `m`, finite and ≥ 0 (typically 0.35).
  ///   - temperature: `τ`, finite and positive (typically 1/30).
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` for a bad margin or temperature.
  public init(margin: Double, temperature: Double) throws {
    guard margin.isFinite, margin >= 0 else {
      throw ProbabilityMapError.invalidParameter(
        map: "margin softmax", parameter: "margin", value: margin, requirement: "finite and non-negative")
    }
    self.margin = margin
    self.temperature = try Softmax(temperature: temperature).temperature
  }

  /// The loss of every row and its gradient with respect to the (unadjusted) scores.
  ///
  /// - Parameters:
  ///   - scores: Cosine logits of any rank ≥ 1; rows along the last axis.
  ///   - targets: The target class of every row.
  /// - Returns: The per-row losses and `(p − e_t)/τ`.
  /// - Throws: ``ProbabilityMapError`` for a target count or class that does not fit the scores.
  /// - Complexity: O(n) per row.
  public func callAsFunction<S: ProbabilityScalar>(_ scores: Tensor<S>, targets: [Int]) throws -> LossResult<S> {
    let (rows, n) = try checkTargets(targets, for: scores)
    var values = [Double](repeating: 0, count: rows)
    var gradient = scores
    var logits = [Double](repeating: 0, count: n)
    for (row, target) in targets.enumerated() {
      // Margin and temperature are applied in Double, dividing by τ (not multiplying by 1/τ, which overflows
      // for τ below 1/Double.greatestFiniteMagnitude), after the shift by the row maximum.
      for i in 0..<n { logits[i] = Double(scores.scalars[row * n + i]) - (i == target ? margin : 0) }
      let maximum = logits.max()!
      guard !logits.contains(where: \.isNaN), maximum < .infinity else {
        values[row] = .nan
        for i in 0..<n { gradient.scalars[row * n + i] = .nan }
        continue
      }
      guard maximum > -.infinity else {  // every score masked: p = 0
        values[row] = .infinity
        for i in 0..<n { gradient.scalars[row * n + i] = i == target ? S(-1 / temperature) : 0 }
        continue
      }
      var sum = 0.0
      for i in 0..<n {
        logits[i] = logits[i] == -.infinity ? -.infinity : (logits[i] - maximum) / temperature
        sum += exp(logits[i])
      }
      values[row] = log(sum) - logits[target]
      for i in 0..<n {
        let p = exp(logits[i]) / sum
        let difference = p - (i == target ? 1 : 0)
        gradient.scalars[row * n + i] = difference == 0 ? 0 : S(difference / temperature)
      }
    }
    return LossResult(values: values, gradient: gradient)
  }
}
