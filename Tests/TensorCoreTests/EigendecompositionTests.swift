import TensorCore
import TestSupport
import Testing

@Suite("General and Hermitian eigendecomposition: A v = λ v")
struct EigendecompositionTests {
  @Test func rotationBlockHasConjugateEigenvalues() throws {
    // [[c, −s], [s, c]] ⊕ [2]: eigenvalues c ± i·s and 2.
    let (c, s) = (0.6, 0.8)
    let a = Tensor<Double>(shape: [3, 3], scalars: [c, -s, 0, s, c, 0, 0, 0, 2])
    let (values, vectors) = try eigendecomposition(a)
    let sorted = values.sorted { ($0.real, $0.imaginary) < ($1.real, $1.imaginary) }
    let expected = [Complex(c, -s), Complex(c, s), Complex(2.0)]
    #expect(maxComplexDifference(sorted, expected) < 1e-14, "\(values)")
    try checkEigenpairs(a, values: values, vectors: vectors, tolerance: 1e-14)
  }

  @Test func randomNonSymmetricMatrix() throws {
    var generator = SeededGenerator(seed: 41)
    let a = Tensor<Double>.normal(shape: [9, 9], using: &generator)
    let (values, vectors) = try eigendecomposition(a)
    #expect(values.contains { $0.imaginary != 0 }, "a random 9×9 matrix almost surely has complex eigenvalues")
    try checkEigenpairs(a, values: values, vectors: vectors, tolerance: 1e-12)
    // The trace is the sum of the eigenvalues.
    let trace = (0..<9).map { a[$0, $0] }.reduce(0, +)
    let sum = values.reduce(Complex<Double>.zero, +)
    #expect(abs(sum.real - trace) < 1e-12 && abs(sum.imaginary) < 1e-12)
  }

  func checkEigenpairs(
    _ a: Tensor<Double>, values: [Complex<Double>], vectors: [Complex<Double>], tolerance: Double
  ) throws {
    let n = a.rows
    try #require(values.count == n && vectors.count == n * n)
    let complexA = a.scalars.map { Complex($0) }
    let av = naiveComplexMatmul(complexA, vectors, m: n, k: n, n: n)
    let vLambda = (0..<(n * n)).map { vectors[$0] * values[$0 % n] }
    #expect(maxComplexDifference(av, vLambda) < tolerance * max(1, a.frobeniusNorm))
    for j in 0..<n {
      let norm = (0..<n).map { vectors[$0 * n + j].lengthSquared }.reduce(0, +)
      #expect(abs(norm - 1) < 1e-12, "column \(j) has squared norm \(norm)")
    }
  }

  /// Sizes around the ones where OpenBLAS 0.3.21's zheevd reads past its buffers (see `hermitianEigen`).
  @Test(arguments: [7, 33, 64])
  func hermitianMatrix(n: Int) throws {
    var generator = SeededGenerator(seed: 42)
    let x = (0..<(n * n)).map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
    // H = X + Xᴴ
    let h = (0..<(n * n)).map { x[$0] + x[($0 % n) * n + $0 / n].conjugate }
    let (values, vectors) = try hermitianEigendecomposition(h, order: n)
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
    let hv = naiveComplexMatmul(h, vectors, m: n, k: n, n: n)
    let vLambda = (0..<(n * n)).map { values[$0 % n] * vectors[$0] }
    #expect(maxComplexDifference(hv, vLambda) < 1e-12)
    // Vᴴ V = I
    let vh = (0..<(n * n)).map { vectors[($0 % n) * n + $0 / n].conjugate }
    var identity = [Complex<Double>](repeating: .zero, count: n * n)
    for i in 0..<n { identity[i * n + i] = .one }
    #expect(maxComplexDifference(naiveComplexMatmul(vh, vectors, m: n, k: n, n: n), identity) < 1e-13)
  }

  @Test func pauliYHasEigenvaluesMinusOneAndOne() throws {
    let y: [Complex<Double>] = [.zero, Complex(0, -1), Complex(0, 1), .zero]
    let values = try hermitianEigendecomposition(y, order: 2).values
    #expect(discrepancy(values, [-1.0, 1], absoluteTolerance: 1e-15).isWithinTolerance)
  }

  @Test func errorCases() {
    #expect(throws: LinalgError.notSquare(operation: "eigendecomposition", shape: [2, 3])) {
      try eigendecomposition(Tensor<Double>(zeros: [2, 3]))
    }
    #expect(throws: LinalgError.nonFiniteInput(operation: "eigendecomposition", argument: "A of shape [1, 1]")) {
      try eigendecomposition(Tensor<Double>(shape: [1, 1], scalars: [.nan]))
    }
    #expect(throws: LinalgError.self) { try hermitianEigendecomposition([.one, .one, .one], order: 2) }
    #expect(throws: LinalgError.self) { try hermitianEigendecomposition([Complex(.nan)], order: 1) }
  }
}
