import TensorCore
import TestSupport
import Testing

@Suite("Linear solve: A X = B, real and complex")
struct SolveTests {
  @Test func doubleMatrixRightHandSide() throws {
    var generator = SeededGenerator(seed: 11)
    let a = Tensor<Double>.normal(shape: [7, 7], using: &generator)
    let b = Tensor<Double>.normal(shape: [7, 3], using: &generator)
    let x = try solve(a, b)
    #expect(x.shape == [7, 3])
    let residual = discrepancy(naiveMatmul(a, x), b, absoluteTolerance: 1e-11)
    #expect(residual.isWithinTolerance, "\(residual)")
  }

  @Test func floatVectorRightHandSideKeepsItsShape() throws {
    var generator = SeededGenerator(seed: 12)
    let a = Tensor<Float>.normal(shape: [5, 5], using: &generator) + Tensor<Float>(identity: 5).map { $0 * 4 }
    let b = Tensor<Float>.normal(shape: [5], using: &generator)
    let x = try solve(a, b)
    #expect(x.shape == [5])
    let residual = discrepancy(naiveMatmul(a, x.reshaped([5, 1])), b.reshaped([5, 1]), absoluteTolerance: 1e-5)
    #expect(residual.isWithinTolerance, "\(residual)")
  }

  @Test func knownSolutionOfATwoByTwoSystem() throws {
    // [[2, 1], [1, 3]] x = [3, 5]  →  x = [0.8, 1.4]
    let x = try solve(Tensor<Double>(shape: [2, 2], scalars: [2, 1, 1, 3]), Tensor<Double>(shape: [2], scalars: [3, 5]))
    #expect(discrepancy(x.scalars, [0.8, 1.4], absoluteTolerance: 1e-15).isWithinTolerance)
  }

  @Test func complexSystem() throws {
    var generator = SeededGenerator(seed: 13)
    let n = 6
    let m = 2
    let a = (0..<(n * n)).map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
    let b = (0..<(n * m)).map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
    let x = try solve(a, b, order: n)
    #expect(x.count == n * m)
    #expect(maxComplexDifference(naiveComplexMatmul(a, x, m: n, k: n, n: m), b) < 1e-12)
  }

  @Test func singularMatrixThrows() {
    let a = Tensor<Double>(shape: [3, 3], scalars: [1, 2, 3, 2, 4, 6, 1, 0, 1])
    #expect(throws: LinalgError.singularMatrix(operation: "solve", shape: [3, 3], pivot: 3)) {
      try solve(a, Tensor<Double>(zeros: [3]))
    }
    let zero = [Complex<Double>](repeating: .zero, count: 4)
    #expect(throws: LinalgError.self) { try solve(zero, [.one, .one], order: 2) }
  }

  @Test func shapeMismatchAndNaNThrow() {
    #expect(throws: LinalgError.shapeMismatch(operation: "solve", left: [3, 3], right: [4, 2])) {
      try solve(Tensor<Double>(identity: 3), Tensor<Double>(zeros: [4, 2]))
    }
    #expect(throws: LinalgError.nonFiniteInput(operation: "solve", argument: "B of shape [2]")) {
      try solve(Tensor<Float>(identity: 2), Tensor<Float>(shape: [2], scalars: [1, .nan]))
    }
    #expect(throws: LinalgError.self) { try solve([Complex<Double>](repeating: .one, count: 3), [.one], order: 2) }
    #expect(throws: LinalgError.self) { try solve(Array(repeating: Complex<Double>.one, count: 4), [.one], order: 2) }
  }
}
