import TensorCore

/// A product of Monarch matrices `M_j ⋯ M_2 M_1` (the paper's `MM*` class), applied factor by factor.
///
/// Products of Monarch matrices are not Monarch in general, but they stay cheap to apply: the cost is the sum of
/// the factors' costs. Factors are listed in the order they act on an input row (`factors[0]` first).
public struct MonarchProduct<Scalar: TensorScalar>: Sendable {
  /// The factors in the order they are applied.
  public let factors: [MonarchMatrix<Scalar>]

  /// Creates the product of `factors`, `factors[0]` acting first.
  ///
  /// - Throws: ``MonarchError/invalidLayout(_:)`` when the list is empty or an output width differs from the
  ///   next input width.
  public init(_ factors: [MonarchMatrix<Scalar>]) throws {
    guard !factors.isEmpty else { throw MonarchError.invalidLayout("a Monarch product needs at least one factor") }
    for (index, (a, b)) in zip(factors, factors.dropFirst()).enumerated()
    where a.layout.outFeatures != b.layout.inFeatures {
      throw MonarchError.invalidLayout(
        "factor \(index) has \(a.layout.outFeatures) outputs but factor \(index + 1) takes \(b.layout.inFeatures)")
    }
    self.factors = factors
  }

  /// `y = x (M_j ⋯ M_1)ᵀ`, one factor after another.
  /// - Complexity: The sum of the factors' ``MonarchMatrix/multiply(_:)`` costs.
  public func multiply(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    factors.reduce(x) { $1.multiply($0) }
  }

  /// `v = u (M_j ⋯ M_1)`, the factors' transposes in reverse order.
  /// - Complexity: The sum of the factors' ``MonarchMatrix/multiplyTransposed(_:)`` costs.
  public func multiplyTransposed(_ u: Tensor<Scalar>) -> Tensor<Scalar> {
    factors.reversed().reduce(u) { $1.multiplyTransposed($0) }
  }

  /// The dense product matrix.
  /// - Complexity: O(in·Σ cost of the factors).
  public func dense() -> Tensor<Scalar> {
    multiply(Tensor<Scalar>(identity: factors[0].layout.inFeatures)).transposed()
  }
}
