import Monarch
import TensorCore
import TestSupport
import Testing

/// Layouts `(in, out, k, l, ρ)` covering square, rectangular, several ranks and sizes the blocks do not divide.
let standardLayouts: [(Int, Int, Int, Int, Int)] = [
  (16, 16, 4, 4, 1), (12, 10, 3, 2, 2), (24, 18, 4, 3, 3), (20, 8, 5, 4, 2), (10, 7, 3, 2, 1), (13, 11, 4, 3, 2),
]

@Suite("Monarch multiply, transposed multiply and dense matrix")
struct MonarchMatrixTests {
  @Test(arguments: standardLayouts)
  func multiplyMatchesTheReferenceEinsum(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    var generator = SeededGenerator(seed: 11)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let x = Tensor<Double>.normal(shape: [70, shape.0], using: &generator)  // more rows than one tile
    let check = try discrepancy(m.multiply(x), referenceMultiply(x, m), absoluteTolerance: 1e-12)
    #expect(check.isWithinTolerance, "\(layout): \(check)")
  }

  @Test(arguments: standardLayouts)
  func denseTransposedAndForwardAgree(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    var generator = SeededGenerator(seed: 12)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let dense = m.dense()
    #expect(discrepancy(dense, referenceDense(m), absoluteTolerance: 1e-12).isWithinTolerance)
    let x = Tensor<Double>.normal(shape: [5, shape.0], using: &generator)
    #expect(try discrepancy(m.multiply(x), naiveMatmul(x, dense.transposed()), absoluteTolerance: 1e-12).isWithinTolerance)
    let u = Tensor<Double>.normal(shape: [67, shape.1], using: &generator)
    let check = try discrepancy(m.multiplyTransposed(u), naiveMatmul(u, dense), absoluteTolerance: 1e-12)
    #expect(check.isWithinTolerance, "\(layout): \(check)")
  }

  @Test func generalFactorShapesWhereSlicesHaveUnequalRanks() throws {
    // q = 3 is not a multiple of l = 2: slices own 2 or 1 middle indices.
    var generator = SeededGenerator(seed: 13)
    let w1 = Tensor<Double>.normal(shape: [2, 3, 4], using: &generator)
    let w2 = Tensor<Double>.normal(shape: [2, 5, 3], using: &generator)
    let m = try MonarchMatrix(w1: w1, w2: w2)
    #expect(m.layout.sliceRank == nil)
    #expect(m.sliceRanks == [[2, 1], [1, 2]])
    let x = Tensor<Double>.normal(shape: [3, 8], using: &generator)
    #expect(try discrepancy(m.multiply(x), referenceMultiply(x, m), absoluteTolerance: 1e-12).isWithinTolerance)
    #expect(discrepancy(m.dense(), referenceDense(m), absoluteTolerance: 1e-12).isWithinTolerance)
  }

  @Test func floatKernelAgreesWithDoubleReference() throws {
    let layout = try MonarchLayout(inFeatures: 64, outFeatures: 48, inBlocks: 8, outBlocks: 4, rank: 2)
    var generator = SeededGenerator(seed: 14)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let x = Tensor<Float>.normal(shape: [130, 64], using: &generator)
    let check = try discrepancy(m.multiply(x), referenceMultiply(x, m), absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func sliceRanksAreReachedByRandomFactors() throws {
    let layout = try MonarchLayout(inFeatures: 12, outFeatures: 10, inBlocks: 3, outBlocks: 2, rank: 2)
    #expect(layout.sliceRanks == [[2, 2], [2, 2], [2, 2]])
    #expect(layout.parameterCount == 2 * (2 * 12 + 3 * 10))
    var generator = SeededGenerator(seed: 15)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    // The slice M[ll::l, kk·p ..< (kk+1)·p] of a rank-2 layout has exactly two nonzero singular values, so
    // projecting onto rank 1 loses something and rank 2 loses nothing.
    let dense = m.dense()
    #expect(try project(dense, onto: layout).relativeError < 1e-10)
    let rankOne = try MonarchLayout(inFeatures: 12, outFeatures: 10, inBlocks: 3, outBlocks: 2, rank: 1)
    #expect(try project(dense, onto: rankOne).relativeError > 1e-3)
  }

  @Test func badLayoutsAreNamedErrors() {
    #expect(throws: MonarchError.self) { try MonarchLayout(inFeatures: 10, outFeatures: 10, blocks: 11) }
    // 10 inputs in 6 blocks of 2 leave the sixth block empty.
    #expect(throws: MonarchError.self) {
      try MonarchLayout(inFeatures: 10, outFeatures: 12, inBlocks: 6, outBlocks: 2, rank: 1)
    }
    do {
      _ = try MonarchLayout(inFeatures: 16, outFeatures: 16, blocks: 4, rank: 5)
      Issue.record("rank 5 above the slice size 4 was accepted")
    } catch {
      #expect("\(error)".contains("rank 5 is above the slice size 4"))
    }
    var generator = SeededGenerator(seed: 16)
    let w1 = Tensor<Float>.normal(shape: [2, 3, 4], using: &generator)
    #expect(throws: MonarchError.self) { try MonarchMatrix(w1: w1, w2: Tensor<Float>(zeros: [2, 5, 2])) }
  }
}
