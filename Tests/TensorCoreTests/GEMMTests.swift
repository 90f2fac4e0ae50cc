import TensorCore
import TestSupport
import Testing

@Suite("GEMM against a naive triple loop")
struct GEMMTests {
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func transposeCombinations(transposeA: Bool, transposeB: Bool) {
    var generator = SeededGenerator(seed: 7)
    let (m, k, n) = (13, 9, 11)
    let a = Tensor<Double>.normal(shape: transposeA ? [k, m] : [m, k], using: &generator)
    let b = Tensor<Double>.normal(shape: transposeB ? [n, k] : [k, n], using: &generator)
    let product = matmul(a, b, transposeA: transposeA, transposeB: transposeB)
    let reference = naiveMatmul(transposeA ? a.transposed() : a, transposeB ? b.transposed() : b)
    let check = discrepancy(product, reference, absoluteTolerance: 1e-12, relativeTolerance: 1e-12)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func stridedSubMatrixViewsWriteOnlyTheirBlock() {
    var generator = SeededGenerator(seed: 8)
    let big = Tensor<Float>.normal(shape: [10, 12], using: &generator)
    let right = Tensor<Float>.normal(shape: [4, 5], using: &generator)
    var output = Tensor<Float>(repeating: 7, shape: [6, 9])
    big.scalars.withUnsafeBufferPointer { pa in
      right.scalars.withUnsafeBufferPointer { pb in
        output.scalars.withUnsafeMutableBufferPointer { pc in
          // Rows 2..<5, columns 3..<7 of `big` times `right`, into rows 1..<4, columns 2..<7 of `output`.
          gemm(
            MatrixView(pa.baseAddress! + 2 * 12 + 3, rows: 3, columns: 4, leadingDimension: 12),
            MatrixView(pb.baseAddress!, rows: 4, columns: 5),
            MutableMatrixView(pc.baseAddress! + 1 * 9 + 2, rows: 3, columns: 5, leadingDimension: 9))
        }
      }
    }
    let block = Tensor<Float>(shape: [3, 4]) { big[2 + $0 / 4, 3 + $0 % 4] }
    let reference = naiveMatmul(block, right)
    for i in 0..<6 {
      for j in 0..<9 {
        if (1..<4).contains(i) && (2..<7).contains(j) {
          #expect(abs(Double(output[i, j]) - reference[i - 1, j - 2]) < 1e-5)
        } else {
          #expect(output[i, j] == 7)
        }
      }
    }
  }

  @Test func batchedProductsMatchEachMatrix() {
    var generator = SeededGenerator(seed: 9)
    let a = Tensor<Double>.normal(shape: [3, 4, 5], using: &generator)
    let b = Tensor<Double>.normal(shape: [3, 6, 5], using: &generator)
    let product = batchedMatmul(a, b, transposeB: true)
    #expect(product.shape == [3, 4, 6])
    for i in 0..<3 {
      let ai = Tensor<Double>(shape: [4, 5], scalars: Array(a.scalars[(i * 20)..<(i * 20 + 20)]))
      let bi = Tensor<Double>(shape: [6, 5], scalars: Array(b.scalars[(i * 30)..<(i * 30 + 30)]))
      let reference = naiveMatmul(ai, bi.transposed())
      let slice = Tensor<Double>(shape: [4, 6], scalars: Array(product.scalars[(i * 24)..<(i * 24 + 24)]))
      #expect(discrepancy(slice, reference, absoluteTolerance: 1e-12).isWithinTolerance)
    }
  }
}

@Suite("Seeded random numbers")
struct RandomTests {
  @Test func sameSeedSameNumbers() {
    var g1 = SeededGenerator(seed: 123)
    var g2 = SeededGenerator(seed: 123)
    var g3 = SeededGenerator(seed: 124)
    let a = (0..<100).map { _ in g1.next() }
    #expect(a == (0..<100).map { _ in g2.next() })
    #expect(a != (0..<100).map { _ in g3.next() })
  }

  @Test func normalSamplesHaveUnitMomentsAndAFixedFirstValue() {
    var generator = SeededGenerator(seed: 5)
    let samples = (0..<200_000).map { _ in generator.nextNormal() }
    let mean = samples.reduce(0, +) / Double(samples.count)
    let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
    #expect(abs(mean) < 0.01)
    #expect(abs(variance - 1) < 0.01)
    var again = SeededGenerator(seed: 5)
    #expect(again.nextNormal() == samples[0])
  }
}
