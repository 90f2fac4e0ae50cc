/// Whether a discrete linear recurrence `x_{k+1} = Ā x_k + B̄ u_k` stays bounded, judged by the spectral
/// radius ρ of `Ā` with a tolerance for the rounding error of the eigenvalues.
///
/// | case | condition | meaning |
/// |---|---|---|
/// | ``stable`` | `ρ < 1 − tolerance` | the state decays geometrically |
/// | ``marginal`` | `|ρ − 1| ≤ tolerance` | an eigenvalue on the unit circle: bounded or at most polynomial growth (FouT) |
/// | ``unstable`` | `ρ > 1 + tolerance` | the state grows like ρᵏ and overflows |
///
/// The tolerance is ``tolerance`` = 10⁻⁸ (about `√ε`): eigenvalues of a matrix of norm ‖A‖ are accurate to
/// `ε‖A‖κ` for an eigenvalue condition number κ, so the band holds the rounding of every eigenvalue with
/// `‖A‖κ` up to about 10⁷, and a radius outside it is decided by the matrix, not by the rounding.
public enum DiscreteStability: String, Sendable, CaseIterable {
  /// Every eigenvalue lies strictly inside the unit circle.
  case stable
  /// The largest eigenvalue lies on the unit circle, within the tolerance.
  case marginal
  /// An eigenvalue lies outside the unit circle.
  case unstable

  /// The half-width of the band around ρ = 1 that counts as ``marginal``.
  public static let tolerance = 1e-8

  /// The stability for a spectral radius.
  ///
  /// - Parameter radius: ρ ≥ 0 (NaN counts as unstable).
  public init(spectralRadius radius: Double) {
    if radius < 1 - Self.tolerance {
      self = .stable
    } else if radius <= 1 + Self.tolerance {
      self = .marginal
    } else {
      self = .unstable
    }
  }
}
