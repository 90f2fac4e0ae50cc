import TensorCore

/// The gradients of a scalar objective with respect to one diagonal (S4D) channel's parameters, from
/// ``S4DKernel/gradients(of:outputGradient:method:)``.
///
/// Complex parameters get `∂/∂Re + i·∂/∂Im`.
public struct DiagonalStateSpaceGradients: Sendable, Equatable {
  /// `∂/∂A`, one per stored mode.
  public let a: [Complex<Double>]
  /// `∂/∂B`, one per stored mode.
  public let b: [Complex<Double>]
  /// `∂/∂C`, one per stored mode.
  public let c: [Complex<Double>]
  /// `∂/∂Δ`.
  public let step: Double
}
