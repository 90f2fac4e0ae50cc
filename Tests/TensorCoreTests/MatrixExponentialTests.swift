import TensorCore
import TestSupport
import Testing

@Suite("Matrix exponential against closed forms")
struct MatrixExponentialTests {
  @Test func diagonalMatrix() throws {
    let d = [-3.0, 0, 0.5, 4]
    var a = Tensor<Double>(zeros: [4, 4])
    for i in 0..<4 { a[i, i] = d[i] }
    let e = try matrixExponential(a)
    var expected = Tensor<Double>(zeros: [4, 4])
    for i in 0..<4 { expected[i, i] = Double.exponential(d[i]) }
    let check = discrepancy(e, expected, absoluteTolerance: 1e-15, relativeTolerance: 1e-14)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func nilpotentMatrixHasAFiniteSeries() throws {
    // Strictly upper triangular N (N⁴ = 0): e^N = I + N + N²/2 + N³/6.
    var generator = SeededGenerator(seed: 51)
    var n = Tensor<Double>.normal(shape: [4, 4], using: &generator)
    for i in 0..<4 { for j in 0...i { n[i, j] = 0 } }
    let n2 = naiveMatmul(n, n)
    let n3 = naiveMatmul(n2, n)
    let expected = Tensor<Double>(identity: 4) + n + 0.5 * n2 + (1.0 / 6) * n3
    let check = discrepancy(try matrixExponential(n), expected, absoluteTolerance: 1e-14, relativeTolerance: 1e-14)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test(arguments: [0.3, 2.0, 40.0])
  func rotationGenerator(t: Double) throws {
    let a = Tensor<Double>(shape: [2, 2], scalars: [0, -t, t, 0])
    let expected = Tensor<Double>(
      shape: [2, 2], scalars: [Double.cosine(t), -Double.sine(t), Double.sine(t), Double.cosine(t)])
    let check = discrepancy(try matrixExponential(a), expected, absoluteTolerance: 1e-13 * max(1, t))
    #expect(check.isWithinTolerance, "t = \(t): \(check)")
    let single = discrepancy(
      try matrixExponential(a.converted(to: Float.self)), expected, absoluteTolerance: 1e-6 * max(1, t))
    #expect(single.isWithinTolerance, "Float, t = \(t): \(single)")
  }

  @Test func symmetricMatrixAgainstItsEigendecomposition() throws {
    var generator = SeededGenerator(seed: 52)
    let x = Tensor<Double>.normal(shape: [6, 6], using: &generator)
    let a = 0.5 * (x + x.transposed())
    let (values, vectors) = try symmetricEigendecomposition(a)
    // V e^Λ Vᵀ (V is orthogonal, so V⁻¹ = Vᵀ).
    let expected = naiveReconstruction(u: vectors, values: values.map { Double.exponential($0) }, vt: vectors.transposed())
    let check = discrepancy(try matrixExponential(a), expected, absoluteTolerance: 1e-12, relativeTolerance: 1e-12)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func largeNormTakesTheScalingPath() throws {
    // ‖A‖₁ ≈ 60 needs several squarings. e^A for A = [[a, b], [0, a]] is e^a·[[1, b], [0, 1]].
    let (alpha, beta) = (-2.0, 58.0)
    let a = Tensor<Double>(shape: [2, 2], scalars: [alpha, beta, 0, alpha])
    let ea = Double.exponential(alpha)
    let expected = Tensor<Double>(shape: [2, 2], scalars: [ea, ea * beta, 0, ea])
    let check = discrepancy(try matrixExponential(a), expected, absoluteTolerance: 0, relativeTolerance: 1e-12)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func errorCases() {
    #expect(throws: LinalgError.notSquare(operation: "matrixExponential", shape: [2, 3])) {
      try matrixExponential(Tensor<Double>(zeros: [2, 3]))
    }
    #expect(throws: LinalgError.self) { try matrixExponential(Tensor<Float>(shape: [1, 1], scalars: [.nan])) }
    #expect(throws: LinalgError.self) { try matrixExponential(Tensor<Float>(shape: [1, 1], scalars: [200])) }
  }

  /// Finite entries whose 1-norm overflows used to trap converting the infinite norm to a squaring count.
  @Test func overflowingNormsThrowInsteadOfTrapping() {
    let huge = Tensor<Double>(shape: [2, 2], scalars: [-1e308, 0, -1e308, -1e308])
    #expect(throws: LinalgError.nonFiniteInput(operation: "matrixExponential", argument: "the 1-norm of A of shape [2, 2] (overflows Double)")) {
      try matrixExponential(huge)
    }
    #expect(throws: LinalgError.self) { try matrixExponential(Tensor<Double>(shape: [1, 1], scalars: [1e300])) }
    #expect(throws: LinalgError.self) { try matrixExponential(Tensor<Double>(shape: [1, 1], scalars: [.infinity])) }
  }

  /// The largest finite norms need about 1020 squarings, and a decaying exponential underflows to exactly 0;
  /// `e^{−700}` (near the smallest normal exponential) stays within rounding.
  @Test func largeFiniteNormsGiveTheClosedForm() throws {
    let decayed = try matrixExponential(Tensor<Double>(shape: [2, 2], scalars: [-1e307, 0, 1e307, -1e307]))
    #expect(decayed.scalars == [0, 0, 0, 0])
    let scalar = try matrixExponential(Tensor<Double>(shape: [1, 1], scalars: [-700])).scalars[0]
    #expect(abs(scalar / Double.exponential(-700) - 1) < 1e-12)
  }
}
