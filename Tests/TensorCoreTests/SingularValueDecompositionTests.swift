import TensorCore
import TestSupport
import Testing

@Suite("Singular value decomposition: reconstruction, orthogonality, order")
struct SingularValueDecompositionTests {
  static let shapes: [(Int, Int)] = [(9, 5), (5, 9), (7, 7), (1, 4), (4, 1)]

  func check<S: TensorScalar>(_ a: Tensor<S>, tolerance: Double) throws {
    let svd = try singularValueDecomposition(a)
    let k = min(a.rows, a.columns)
    #expect(svd.u.shape == [a.rows, k] && svd.vt.shape == [k, a.columns] && svd.singularValues.count == k)
    let scale = max(1, a.frobeniusNorm)
    let back = discrepancy(naiveReconstruction(u: svd.u, values: svd.singularValues, vt: svd.vt), a,
      absoluteTolerance: tolerance * scale)
    #expect(back.isWithinTolerance, "reconstruction \(a.shape): \(back)")
    #expect(orthonormalColumnsError(svd.u) < tolerance, "UᵀU ≠ I for \(a.shape)")
    #expect(orthonormalColumnsError(svd.vt.transposed()) < tolerance, "VVᵀ ≠ I for \(a.shape)")
    #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
    #expect(svd.singularValues.allSatisfy { $0 >= 0 })
    let library = discrepancy(svd.reconstructed(), a.converted(to: Double.self).converted(to: S.self),
      absoluteTolerance: tolerance * scale)
    #expect(library.isWithinTolerance, "reconstructed(): \(library)")
  }

  @Test(arguments: shapes)
  func doubleMatrices(rows: Int, columns: Int) throws {
    var generator = SeededGenerator(seed: UInt64(rows * 31 + columns))
    try check(Tensor<Double>.normal(shape: [rows, columns], using: &generator), tolerance: 1e-12)
  }

  @Test(arguments: shapes)
  func floatMatrices(rows: Int, columns: Int) throws {
    var generator = SeededGenerator(seed: UInt64(rows * 17 + columns))
    try check(Tensor<Float>.normal(shape: [rows, columns], using: &generator), tolerance: 2e-5)
  }

  @Test func rankDeficientMatrixHasZeroTrailingValues() throws {
    var generator = SeededGenerator(seed: 3)
    let left = Tensor<Double>.normal(shape: [8, 2], using: &generator)
    let right = Tensor<Double>.normal(shape: [2, 6], using: &generator)
    let a = matmul(left, right)
    try check(a, tolerance: 1e-12)
    let values = try singularValueDecomposition(a).singularValues
    #expect(values[1] > 0.1)
    #expect(values[2...].allSatisfy { $0 < 1e-13 * values[0] }, "\(values)")
  }

  @Test func knownSingularValuesOfADiagonalMatrix() throws {
    let a = Tensor<Double>(shape: [3, 3], scalars: [0, 0, -2, 0, 5, 0, 1, 0, 0])
    let values = try singularValueDecomposition(a).singularValues
    #expect(discrepancy(values, [5.0, 2, 1], absoluteTolerance: 1e-14).isWithinTolerance)
  }

  @Test func rejectsNonFiniteAndNonMatrixInput() {
    var a = Tensor<Double>(zeros: [3, 2])
    a[1, 1] = .nan
    #expect(throws: LinalgError.nonFiniteInput(operation: "singularValueDecomposition", argument: "A of shape [3, 2]")) {
      try singularValueDecomposition(a)
    }
    #expect(throws: LinalgError.self) { try singularValueDecomposition(Tensor<Float>(zeros: [2, 2, 2])) }
  }
}
