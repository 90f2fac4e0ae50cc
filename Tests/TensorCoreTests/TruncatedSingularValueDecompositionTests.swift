import TensorCore
import TestSupport
import Testing

@Suite("Randomized truncated SVD against the exact SVD")
struct TruncatedSingularValueDecompositionTests {
  /// A 40 × 30 matrix with singular values 2^(−i): U diag(σ) Vᵀ from random orthonormal factors.
  func decayingSpectrum<S: TensorScalar>(as type: S.Type) throws -> (Tensor<S>, [Double]) {
    var generator = SeededGenerator(seed: 61)
    let u = try qrDecomposition(Tensor<Double>.normal(shape: [40, 30], using: &generator)).q
    let v = try qrDecomposition(Tensor<Double>.normal(shape: [30, 30], using: &generator)).q
    let sigma = (0..<30).map { Double.power(2, -Double($0)) }
    let a = naiveReconstruction(u: u, values: sigma, vt: v.transposed())
    return (a.converted(to: S.self), sigma)
  }

  @Test func doubleMatchesTheExactDecomposition() throws {
    let (a, sigma) = try decayingSpectrum(as: Double.self)
    var generator = SeededGenerator(seed: 62)
    let rank = 5
    let approximation = try truncatedSingularValueDecomposition(a, rank: rank, using: &generator)
    #expect(approximation.u.shape == [40, rank] && approximation.vt.shape == [rank, 30])
    #expect(discrepancy(approximation.singularValues, sigma[0..<rank], absoluteTolerance: 1e-12).isWithinTolerance)
    #expect(orthonormalColumnsError(approximation.u) < 1e-12)
    #expect(orthonormalColumnsError(approximation.vt.transposed()) < 1e-12)
    // The rank-5 error is the exact optimum σ₆ = 2⁻⁵ in spectral norm; in Frobenius norm √(Σ_{i≥5} σᵢ²).
    let exact = try singularValueDecomposition(a)
    let best = SingularValueDecomposition(
      u: Tensor(shape: [40, rank]) { exact.u.scalars[($0 / rank) * 30 + $0 % rank] },
      singularValues: Array(exact.singularValues[0..<rank]),
      vt: Tensor(shape: [rank, 30], scalars: Array(exact.vt.scalars[0..<(rank * 30)])))
    let randomizedError = (a - approximation.reconstructed()).frobeniusNorm
    let optimalError = (a - best.reconstructed()).frobeniusNorm
    let tail = sigma[rank...].map { $0 * $0 }.reduce(0, +).squareRoot()
    #expect(abs(optimalError - tail) < 1e-12)
    #expect(randomizedError < optimalError * (1 + 1e-6), "randomized \(randomizedError) vs optimal \(optimalError)")
  }

  @Test func floatAndDeterminism() throws {
    let (a, sigma) = try decayingSpectrum(as: Float.self)
    var first = SeededGenerator(seed: 63)
    var second = SeededGenerator(seed: 63)
    let one = try truncatedSingularValueDecomposition(a, rank: 4, oversampling: 6, powerIterations: 1, using: &first)
    let two = try truncatedSingularValueDecomposition(a, rank: 4, oversampling: 6, powerIterations: 1, using: &second)
    #expect(one.singularValues == two.singularValues && one.u == two.u)
    #expect(discrepancy(one.singularValues, sigma[0..<4], absoluteTolerance: 2e-6).isWithinTolerance)
  }

  @Test func invalidArguments() {
    var generator = SeededGenerator(seed: 64)
    let a = Tensor<Double>(zeros: [4, 3])
    #expect(throws: LinalgError.invalidRank(operation: "truncatedSingularValueDecomposition", rank: 4, shape: [4, 3])) {
      try truncatedSingularValueDecomposition(a, rank: 4, using: &generator)
    }
    #expect(throws: LinalgError.self) { try truncatedSingularValueDecomposition(a, rank: 0, using: &generator) }
    #expect(throws: LinalgError.self) {
      try truncatedSingularValueDecomposition(a, rank: 1, oversampling: -1, using: &generator)
    }
  }
}
