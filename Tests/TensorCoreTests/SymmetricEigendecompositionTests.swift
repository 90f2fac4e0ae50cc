import TensorCore
import TestSupport
import Testing

@Suite("Symmetric eigendecomposition: A V = V Λ, orthogonality, ascending order")
struct SymmetricEigendecompositionTests {
  func randomSymmetric<S: TensorScalar>(_ n: Int, seed: UInt64, as type: S.Type) -> Tensor<S> {
    var generator = SeededGenerator(seed: seed)
    let x = Tensor<S>.normal(shape: [n, n], using: &generator)
    return x + x.transposed()
  }

  func check<S: TensorScalar>(_ a: Tensor<S>, tolerance: Double) throws {
    let (values, vectors) = try symmetricEigendecomposition(a)
    let n = a.rows
    let av = naiveMatmul(a, vectors)
    let vLambda = Tensor<Double>(shape: [n, n]) { Double(vectors.scalars[$0]) * Double(values[$0 % n]) }
    let check = discrepancy(av, vLambda, absoluteTolerance: tolerance * max(1, a.frobeniusNorm))
    #expect(check.isWithinTolerance, "A V vs V Λ: \(check)")
    #expect(orthonormalColumnsError(vectors) < tolerance)
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
  }

  @Test(arguments: [1, 2, 6, 13])
  func doubleAndFloat(n: Int) throws {
    try check(randomSymmetric(n, seed: UInt64(n), as: Double.self), tolerance: 1e-12)
    try check(randomSymmetric(n, seed: UInt64(n), as: Float.self), tolerance: 3e-5)
  }

  @Test func knownSpectrumOfTheSecondDifferenceMatrix() throws {
    // Tridiagonal (-1, 2, -1): eigenvalues 2 − 2 cos(kπ/(n+1)), k = 1…n.
    let n = 8
    let a = Tensor<Double>(shape: [n, n]) { index in
      let (i, j) = (index / n, index % n)
      return i == j ? 2 : (abs(i - j) == 1 ? -1 : 0)
    }
    let values = try symmetricEigendecomposition(a).values
    let expected = (1...n).map { 2 - 2 * Double.cosine(Double($0) * Double.pi / Double(n + 1)) }
    #expect(discrepancy(values, expected, absoluteTolerance: 1e-13).isWithinTolerance)
  }

  @Test func rejectsNonSquareAndNonFinite() {
    #expect(throws: LinalgError.notSquare(operation: "symmetricEigendecomposition", shape: [2, 3])) {
      try symmetricEigendecomposition(Tensor<Double>(zeros: [2, 3]))
    }
    #expect(throws: LinalgError.self) {
      try symmetricEigendecomposition(Tensor<Float>(shape: [1, 1], scalars: [.infinity]))
    }
  }
}
