import TensorCore

extension StateSpaceMatrices {
  /// The discrete system of this continuous one for a step Δ.
  ///
  /// Zero-order hold takes the exponential of the augmented matrix `[[A, B], [0, 0]]·Δ`, whose top-right
  /// block is `∫₀^Δ e^{sA} ds · B`; this needs no inverse of A, so singular A (FouT) is fine.
  ///
  /// A lower-triangular `A` (LegS, LagT) gives a lower-triangular `Ā` with exact zeros above the diagonal,
  /// so that ``spectralRadius`` reads its eigenvalues from the diagonal.
  ///
  /// - Parameters:
  ///   - step: The step Δ, positive and finite.
  ///   - method: The discretization rule.
  /// - Returns: `(Ā, B̄)`.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` for a step that is not positive and finite;
  ///   ``StateSpaceError/numericalFailure(operation:reason:)`` when an implicit rule meets a singular `I − αA` or a result
  ///   overflows `Double` (for example `ΔA` with Δ = 10³⁰⁸).
  /// - Complexity: O(N³).
  public func discretized(step: Double, method: DiscretizationMethod) throws -> StateSpaceMatrices {
    try Self.validate(step: step)
    let n = order
    let identity = Tensor<Double>(identity: n)
    switch method {
    case .forwardEuler:
      return try discrete(a: (identity + step * a).scalars, b: b.map { step * $0 }, step: step, method: method)
    case .backwardEuler:
      return try implicitStep(explicitPart: identity, implicitWeight: step, step: step, method: method)
    case .bilinear:
      return try implicitStep(
        explicitPart: identity + (step / 2) * a, implicitWeight: step / 2, step: step, method: method)
    case .zeroOrderHold:
      var augmented = [Double](repeating: 0, count: (n + 1) * (n + 1))
      for i in 0..<n {
        for k in 0..<n { augmented[i * (n + 1) + k] = step * a.scalars[i * n + k] }
        augmented[i * (n + 1) + n] = step * b[i]
      }
      let exponential: [Double]
      do {
        exponential = try matrixExponential(Tensor(shape: [n + 1, n + 1], scalars: augmented)).scalars
      } catch {
        throw StateSpaceError.numericalFailure(operation: "zero-order hold with step \(step)", reason: "e^{ΔA} failed: \(error)")
      }
      return try discrete(
        a: topLeft(of: exponential, columns: n + 1, order: n), b: (0..<n).map { exponential[$0 * (n + 1) + n] },
        step: step, method: method)
    }
  }

  /// `Ā = (I − αA)⁻¹·explicitPart`, `B̄ = Δ(I − αA)⁻¹B`.
  private func implicitStep(
    explicitPart: Tensor<Double>, implicitWeight alpha: Double, step: Double, method: DiscretizationMethod
  ) throws -> StateSpaceMatrices {
    let n = order
    let implicitPart = Tensor<Double>(identity: n) - alpha * a
    var rightHandSides = [Double](repeating: 0, count: n * (n + 1))
    for i in 0..<n {
      for k in 0..<n { rightHandSides[i * (n + 1) + k] = explicitPart.scalars[i * n + k] }
      rightHandSides[i * (n + 1) + n] = step * b[i]
    }
    let what = "discretization with step \(step) (α = \(alpha))"
    try StateSpaceValidation.requireFiniteResult(implicitPart.scalars, operation: what, tensor: "I − αA")
    let solution = try DenseAlgebra.solve(implicitPart, rightHandSides, columns: n + 1, operation: what)
    return try discrete(
      a: topLeft(of: solution, columns: n + 1, order: n), b: (0..<n).map { solution[$0 * (n + 1) + n] },
      step: step, method: method)
  }

  /// The discrete pair from its entries: zeros above the diagonal when `A` is lower triangular, and a
  /// numerical failure when an entry overflowed.
  private func discrete(a entries: [Double], b: [Double], step: Double, method: DiscretizationMethod) throws
    -> StateSpaceMatrices
  {
    let n = order
    var entries = entries
    if isLowerTriangular {
      for i in 0..<n {
        for k in (i + 1)..<n { entries[i * n + k] = 0 }
      }
    }
    let what = "\(method.rawValue) discretization with step \(step)"
    try StateSpaceValidation.requireFiniteResult(entries, operation: what, tensor: "Ā")
    try StateSpaceValidation.requireFiniteResult(b, operation: what, tensor: "B̄")
    return try StateSpaceMatrices(a: Tensor(shape: [n, n], scalars: entries), b: b)
  }

  /// The leading `order × order` block of a row-major matrix with `columns` columns.
  private func topLeft(of matrix: [Double], columns: Int, order n: Int) -> [Double] {
    var block = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for k in 0..<n { block[i * n + k] = matrix[i * columns + k] }
    }
    return block
  }

  /// Checks that a step is positive and finite.
  ///
  /// - Parameter step: The step Δ.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` naming the step.
  static func validate(step: Double) throws {
    guard step > 0, step.isFinite else {
      throw StateSpaceError.invalidParameter(operation: "discretization", parameter: "step dt", value: "\(step)", requirement: "positive and finite")
    }
  }
}
