import TensorCore

extension StateSpaceMatrices {
  /// The discrete system of this continuous one for a step Δ.
  ///
  /// Zero-order hold takes the exponential of the augmented matrix `[[A, B], [0, 0]]·Δ`, whose top-right
  /// block is `∫₀^Δ e^{sA} ds · B`; this needs no inverse of A, so singular A (FouT) is fine.
  ///
  /// - Parameters:
  ///   - step: The step Δ, positive and finite.
  ///   - method: The discretization rule.
  /// - Returns: `(Ā, B̄)`.
  /// - Throws: ``StateSpaceError/invalidParameter(_:)`` for a bad step, ``StateSpaceError/invalidInput(_:)``
  ///   when an implicit rule meets a singular `I − αA` or the exponential of ZOH overflows.
  /// - Complexity: O(N³).
  public func discretized(step: Double, method: DiscretizationMethod) throws -> StateSpaceMatrices {
    try Self.validate(step: step)
    let n = order
    let identity = Tensor<Double>(identity: n)
    switch method {
    case .forwardEuler:
      return try StateSpaceMatrices(a: identity + step * a, b: b.map { step * $0 })
    case .backwardEuler:
      return try implicitStep(explicitPart: identity, implicitWeight: step, step: step)
    case .bilinear:
      return try implicitStep(explicitPart: identity + (step / 2) * a, implicitWeight: step / 2, step: step)
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
        throw StateSpaceError.invalidInput("zero-order hold with step \(step): e^{ΔA} failed: \(error)")
      }
      return try StateSpaceMatrices(
        a: Tensor(shape: [n, n], scalars: topLeft(of: exponential, columns: n + 1, order: n)),
        b: (0..<n).map { exponential[$0 * (n + 1) + n] })
    }
  }

  /// `Ā = (I − αA)⁻¹·explicitPart`, `B̄ = Δ(I − αA)⁻¹B`.
  private func implicitStep(
    explicitPart: Tensor<Double>, implicitWeight alpha: Double, step: Double
  ) throws -> StateSpaceMatrices {
    let n = order
    let implicitPart = Tensor<Double>(identity: n) - alpha * a
    var rightHandSides = [Double](repeating: 0, count: n * (n + 1))
    for i in 0..<n {
      for k in 0..<n { rightHandSides[i * (n + 1) + k] = explicitPart.scalars[i * n + k] }
      rightHandSides[i * (n + 1) + n] = step * b[i]
    }
    let solution = try DenseAlgebra.solve(
      implicitPart, rightHandSides, columns: n + 1, what: "discretization with step \(step): I − \(alpha)·A")
    return try StateSpaceMatrices(
      a: Tensor(shape: [n, n], scalars: topLeft(of: solution, columns: n + 1, order: n)),
      b: (0..<n).map { solution[$0 * (n + 1) + n] })
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
  /// - Throws: ``StateSpaceError/invalidParameter(_:)`` naming the step.
  static func validate(step: Double) throws {
    guard step > 0, step.isFinite else {
      throw StateSpaceError.invalidParameter("step dt must be positive and finite, got \(step)")
    }
  }
}
