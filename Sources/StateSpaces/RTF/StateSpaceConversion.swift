import TensorCore

extension StateSpaceMatrices {
  /// The coefficients `p₁ … p_N` of the characteristic polynomial `det(zI − A) = zᴺ + p₁zᴺ⁻¹ + … + p_N`.
  ///
  /// The determinant is evaluated at the N + 1 roots of unity (LU with pivoting) and the coefficients are
  /// recovered by an inverse DFT, which avoids the instability of the Faddeev–LeVerrier recursion.
  ///
  /// - Returns: N coefficients.
  /// - Complexity: O(N⁴).
  public func characteristicPolynomial() -> [Double] {
    Self.characteristicPolynomial(of: a)
  }

  private static func characteristicPolynomial(of a: Tensor<Double>) -> [Double] {
    let n = a.rows
    let points = n + 1
    var values: [Complex<Double>] = []
    for k in 0..<points {
      let z = Complex<Double>(unitPhase: 2 * Double.pi * Double(k) / Double(points))
      var matrix = a.scalars.map { Complex(-$0) }
      for i in 0..<n { matrix[i * n + i] += z }
      values.append(DenseAlgebra.determinant(matrix, order: n))
    }
    // det(z_k I − A) = Σ_j c_j z_kʲ with c_j = p_{N−j}: c_j = (1/M) Σ_k det_k e^{−2πikj/M}.
    return (1...n).map { m in
      let j = n - m
      var sum = Complex<Double>.zero
      for k in 0..<points {
        sum += values[k] * Complex(unitPhase: -2 * Double.pi * Double(k * j) / Double(points))
      }
      return sum.real / Double(points)
    }
  }

  /// The transfer function of this discrete system with output row C and feed-through D.
  ///
  /// `a` = coefficients of `det(zI − Ā)`; by the matrix-determinant lemma
  /// `C adj(zI − Ā) B = det(zI − Ā + BC) − det(zI − Ā)`, so `b = poly(Ā − BC) − poly(Ā)`; `h₀ = D`.
  ///
  /// - Parameters:
  ///   - c: The output row (N).
  ///   - feedthrough: D.
  /// - Returns: The transfer function of order N.
  /// - Throws: ``StateSpaceError`` when C has the wrong size.
  /// - Complexity: O(N⁴).
  public func transferFunction(output c: [Double], feedthrough: Double = 0) throws -> TransferFunction {
    guard c.count == order else {
      throw StateSpaceError.countMismatch(operation: "state space -> transfer function", tensor: "C", count: c.count, expected: order)
    }
    var coupled = a.scalars
    for i in 0..<order {
      for k in 0..<order { coupled[i * order + k] -= b[i] * c[k] }
    }
    let denominator = characteristicPolynomial()
    let shifted = Self.characteristicPolynomial(of: Tensor(shape: [order, order], scalars: coupled))
    return try TransferFunction(
      denominator: denominator, numerator: zip(shifted, denominator).map { $0 - $1 }, feedthrough: feedthrough)
  }
}
