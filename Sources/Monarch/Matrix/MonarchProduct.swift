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
  /// - Throws: ``MonarchError/invalidLayout(reason:)`` when the list is empty or an output width differs from
  ///   the next input width.
  public init(_ factors: [MonarchMatrix<Scalar>]) throws {
    guard !factors.isEmpty else {
      throw MonarchError.invalidLayout(reason: "a Monarch product needs at least one factor")
    }
    for (index, (a, b)) in zip(factors, factors.dropFirst()).enumerated()
    where a.layout.outFeatures != b.layout.inFeatures {
      throw MonarchError.invalidLayout(
        reason: "factor \(index) has \(a.layout.outFeatures) outputs but factor \(index + 1) takes \(b.layout.inFeatures)")
    }
    self.factors = factors
  }

  /// `y = x (M_j ⋯ M_1)ᵀ`, one factor after another.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `x` is not `(batch, in)` of the
  ///   first factor.
  /// - Complexity: The sum of the factors' ``MonarchMatrix/multiply(_:)`` costs.
  public func multiply(_ x: Tensor<Scalar>) throws -> Tensor<Scalar> {
    try factors.reduce(x) { try $1.multiply($0) }
  }

  /// `v = u (M_j ⋯ M_1)`, the factors' transposes in reverse order.
  /// - Throws: ``MonarchError/shapeMismatch(argument:shape:expected:)`` when `u` is not `(batch, out)` of the
  ///   last factor.
  /// - Complexity: The sum of the factors' ``MonarchMatrix/multiplyTransposed(_:)`` costs.
  public func multiplyTransposed(_ u: Tensor<Scalar>) throws -> Tensor<Scalar> {
    try factors.reversed().reduce(u) { try $1.multiplyTransposed($0) }
  }

  /// The dense product matrix.
  /// - Complexity: O(in·Σ cost of the factors).
  public func dense() -> Tensor<Scalar> {
    // The identity has the first factor's width and the factors chain (checked in `init`), so no shape can fail.
    var rows = Tensor<Scalar>(identity: factors[0].layout.inFeatures)
    for factor in factors { rows = try! factor.multiply(rows) }
    return rows.transposed()
  }
}
