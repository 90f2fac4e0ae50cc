/// How a continuous system `x' = A x + B u` becomes a discrete one `x_{k+1} = Ā x_k + B̄ u_k` with step Δ.
///
/// | method | Ā | B̄ |
/// |---|---|---|
/// | ``forwardEuler`` | `I + ΔA` | `ΔB` |
/// | ``backwardEuler`` | `(I − ΔA)⁻¹` | `Δ(I − ΔA)⁻¹B` |
/// | ``bilinear`` | `(I − Δ/2·A)⁻¹(I + Δ/2·A)` | `Δ(I − Δ/2·A)⁻¹B` |
/// | ``zeroOrderHold`` | `e^{ΔA}` | `∫₀^Δ e^{sA} ds · B` (`= A⁻¹(e^{ΔA} − I)B` for invertible A) |
public enum DiscretizationMethod: String, Sendable, CaseIterable {
  /// Forward (explicit) Euler.
  case forwardEuler = "euler"
  /// Backward (implicit) Euler.
  case backwardEuler = "backward"
  /// The bilinear (Tustin, trapezoidal) transform.
  case bilinear = "bilinear"
  /// Zero-order hold: exact for inputs that are constant over each step.
  case zeroOrderHold = "zoh"

  /// The method by its command-line name: `euler`, `backward`, `bilinear` or `zoh`.
  ///
  /// - Parameter name: The name.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` naming the unknown method.
  public init(name: String) throws {
    guard let method = DiscretizationMethod(rawValue: name.lowercased()) else {
      throw StateSpaceError.unknownName(kind: "discretization method", name: name, choices: ["euler", "backward", "bilinear", "zoh"])
    }
    self = method
  }
}
