import TensorCore

/// A rational transfer function (RTF) of one channel:
/// `H(z) = h₀ + (b₁z⁻¹ + … + b_n z⁻ⁿ)/(1 + a₁z⁻¹ + … + a_n z⁻ⁿ)`.
///
/// Its 2n + 1 parameters do not depend on a state basis, and its kernel costs one FFT whatever n is
/// (the state-free property). The numerator is usually the truncation-corrected `b̃` (see
/// ``recurrentOutputWeights(length:)``).
///
/// The coefficients are checked once, in ``init(denominator:numerator:feedthrough:)``, and are read-only
/// afterwards: to change one, create a new transfer function.
public struct TransferFunction: Sendable, Equatable {
  /// The denominator coefficients `a₁ … a_n` (the leading 1 is implied).
  public let denominator: [Double]
  /// The numerator coefficients `b₁ … b_n`.
  public let numerator: [Double]
  /// The feed-through `h₀`.
  public let feedthrough: Double

  /// Creates a transfer function.
  ///
  /// - Parameters:
  ///   - denominator: `a₁ … a_n` (n ≥ 1).
  ///   - numerator: `b₁ … b_n`, as many as `denominator`.
  ///   - feedthrough: `h₀`.
  /// - Throws: ``StateSpaceError`` when the counts differ or a value is not finite.
  public init(denominator: [Double], numerator: [Double], feedthrough: Double) throws {
    guard !denominator.isEmpty, numerator.count == denominator.count else {
      throw StateSpaceError.countsDisagree(
        operation: "RTF", tensors: ["the denominator a", "the numerator b"],
        counts: [denominator.count, numerator.count], requirement: "they must be equal and not empty")
    }
      try StateSpaceValidation.requireFinite(denominator, operation: "RTF", tensor: "the denominator a")
    try StateSpaceValidation.requireFinite(numerator, operation: "RTF", tensor: "the numerator b")
    try StateSpaceValidation.requireFinite([feedthrough], operation: "RTF", tensor: "the feed-through h0")
    (self.denominator, self.numerator, self.feedthrough) = (denominator, numerator, feedthrough)
  }

  /// The order n.
  public var order: Int { denominator.count }

  /// The companion realisation `Ā = [−a; I 0]`, `B = e₁` (C = numerator, D = h₀).
  ///
  /// - Returns: `(Ā, B)`.
  public func companion() -> StateSpaceMatrices {
    let n = order
    var a = [Double](repeating: 0, count: n * n)
    for k in 0..<n { a[k] = -denominator[k] }
    for k in 1..<max(n, 1) { a[k * n + k - 1] = 1 }
    var b = [Double](repeating: 0, count: n)
    b[0] = 1
    // The shapes match by construction and every entry is finite.
    return try! StateSpaceMatrices(a: Tensor(shape: [n, n], scalars: a), b: b)
  }

  /// The stability projection of RTF's `l1_montel`: `a ← a/(‖a‖₁ + |s| + 10⁻⁶)`.
  ///
  /// Afterwards `‖a‖₁ < 1`, so every root of `zⁿ + a₁zⁿ⁻¹ + … + a_n` lies inside the unit disk (for
  /// `|z| ≥ 1`, `|Σ a_i z^{n−i}| ≤ ‖a‖₁|z|ⁿ < |zⁿ|`).
  ///
  /// - Parameter slack: The learnable `s`, finite.
  /// - Returns: The projected transfer function.
  /// - Throws: ``StateSpaceError`` when `slack` is NaN or infinite.
  public func stabilized(slack: Double = 0) throws -> TransferFunction {
    try StateSpaceValidation.requireFinite([slack], operation: "RTF stabilization", tensor: "the slack s")
    let norm = denominator.reduce(0) { $0 + abs($1) } + abs(slack) + 1e-6
    return try TransferFunction(
      denominator: denominator.map { $0 / norm }, numerator: numerator, feedthrough: feedthrough)
  }

  /// The output weights c of the companion recurrence that reproduce the truncated kernel of length L:
  /// `c = b̃ (I − Āᴸ)⁻¹`, i.e. the solution of `(I − Āᴸ)ᵀ cᵀ = b̃ᵀ`, with `Āᴸ` by repeated squaring.
  ///
  /// - Parameter length: L, at least 1.
  /// - Returns: n weights.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when L < 1; ``StateSpaceError/numericalFailure(operation:reason:)``
  ///   when `I − Āᴸ` is singular (a pole on the unit circle) or `Āᴸ` overflows (a pole outside it).
  /// - Complexity: O(n³ log L).
  public func recurrentOutputWeights(length: Int) throws -> [Double] {
    guard length >= 1 else {
      throw StateSpaceError.invalidParameter(operation: "RTF correction", parameter: "length L", value: "\(length)", requirement: "at least 1")
    }
    let power = DenseAlgebra.power(companion().a, length)
    let system = (Tensor<Double>(identity: order) - power).transposed()
    return try DenseAlgebra.solve(system, numerator, columns: 1, operation: "RTF correction (I − Ā^\(length))ᵀ")
  }
}
