import TensorCore
import TestSupport
import Testing

@Suite("QR decomposition: Q orthonormal, R upper triangular, QR = A")
struct QRDecompositionTests {
  func check<S: TensorScalar>(_ a: Tensor<S>, tolerance: Double) throws {
    let (q, r) = try qrDecomposition(a)
    let k = min(a.rows, a.columns)
    #expect(q.shape == [a.rows, k] && r.shape == [k, a.columns])
    #expect(orthonormalColumnsError(q) < tolerance, "QᵀQ ≠ I for \(a.shape)")
    for i in 0..<k {
      for j in 0..<min(i, a.columns) { #expect(r[i, j] == 0, "R[\(i), \(j)] below the diagonal") }
    }
    let back = discrepancy(naiveMatmul(q, r), a, absoluteTolerance: tolerance * max(1, a.frobeniusNorm))
    #expect(back.isWithinTolerance, "QR vs A for \(a.shape): \(back)")
  }

  @Test(arguments: [(8, 5), (5, 8), (6, 6), (1, 3), (3, 1)])
  func doubleAndFloat(rows: Int, columns: Int) throws {
    var generator = SeededGenerator(seed: UInt64(rows * 10 + columns))
    try check(Tensor<Double>.normal(shape: [rows, columns], using: &generator), tolerance: 1e-13)
    try check(Tensor<Float>.normal(shape: [rows, columns], using: &generator), tolerance: 3e-6)
  }

  @Test func knownFactorsOfATwoColumnMatrix() throws {
    // Columns (3, 4) and (1, 0): |r₀₀| = 5, |r₁₁| = 4/5, |r₀₁| = 3/5.
    let (_, r) = try qrDecomposition(Tensor<Double>(shape: [2, 2], scalars: [3, 1, 4, 0]))
    #expect(discrepancy(r.scalars.map(abs), [5.0, 0.6, 0, 0.8], absoluteTolerance: 1e-15).isWithinTolerance)
  }

  @Test func rejectsNaN() {
    #expect(throws: LinalgError.nonFiniteInput(operation: "qrDecomposition", argument: "A of shape [2, 1]")) {
      try qrDecomposition(Tensor<Double>(shape: [2, 1], scalars: [1, .nan]))
    }
  }
}
