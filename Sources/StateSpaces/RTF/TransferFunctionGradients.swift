/// The gradients of a scalar objective with respect to one RTF channel's coefficients, from
/// ``RTFKernel/gradients(of:outputGradient:)``.
public struct TransferFunctionGradients: Sendable, Equatable {
  /// `∂/∂a_m`, one per denominator coefficient `a₁ … aₙ`.
  public let denominator: [Double]
  /// `∂/∂b_m`, one per numerator coefficient `b₁ … bₙ`.
  public let numerator: [Double]
  /// `∂/∂h₀`, the feed-through.
  public let feedthrough: Double
}
