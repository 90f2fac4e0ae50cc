import TensorCore

/// The additive-margin softmax loss (AM-Softmax; Wang et al., 2018) on cosine logits.
///
/// With scores `xⱼ = cos(z, cⱼ)`, a margin `m` subtracted from the target and a temperature `τ`:
/// ```
/// L = −log( e^{(x_t − m)/τ} / (e^{(x_t − m)/τ} + Σ_{j≠t} e^{xⱼ/τ}) ),   ∂L/∂xⱼ = (pⱼ − δⱼₜ)/τ
/// ```
/// where `p` is the softmax of the margin-adjusted, temperature-scaled scores.
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
  /// - Throws: ``ProbabilityMapError/invalidParameter(_:)`` for a bad margin or temperature.
  public init(margin: Double, temperature: Double) throws {
    guard margin.isFinite, margin >= 0 else {
      throw ProbabilityMapError.invalidParameter("margin softmax margin must be finite and >= 0, got \(margin)")
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
  /// - Throws: ``ProbabilityMapError/invalidInput(_:)`` for a target count or class that does not fit the scores.
  /// - Complexity: O(n) per row.
  public func callAsFunction<S: ProbabilityScalar>(_ scores: Tensor<S>, targets: [Int]) throws -> LossResult<S> {
    let (_, n) = try checkTargets(targets, for: scores)
    var adjusted = scores
    for (row, target) in targets.enumerated() { adjusted.scalars[row * n + target] -= S(margin) }
    let inverseTemperature = S(1 / temperature)
    let crossEntropy = try FenchelYoungLoss.crossEntropy(adjusted.map { $0 * inverseTemperature }, targets: targets)
    return LossResult(values: crossEntropy.values, gradient: inverseTemperature * crossEntropy.gradient)
  }
}
