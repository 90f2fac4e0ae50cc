import Foundation
import Monarch
import TensorCore
import TensorFiles
import TestSupport
import Testing

@Suite("Monarch against fixtures of the PyTorch reference (torch-structured)")
struct MonarchFixtureTests {
  func fixture(_ name: String) throws -> Tensor<Double> {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "npy"))
    return try NPYFile.read(url).tensor(as: Double.self)
  }

  @Test(arguments: ["square", "rectangular", "general"])
  func productsMatchTheReference(name: String) throws {
    let m = try MonarchMatrix(w1: fixture("monarch_\(name)_w1"), w2: fixture("monarch_\(name)_w2"))
    let x = try fixture("monarch_\(name)_x")
    let y = try fixture("monarch_\(name)_y")
    #expect(try discrepancy(m.multiply(x), y, absoluteTolerance: 1e-12, relativeTolerance: 1e-12).isWithinTolerance)
    #expect(discrepancy(naiveMatmul(x, m.dense().transposed()), y, absoluteTolerance: 1e-12).isWithinTolerance)
  }

  /// The reference projection (`blockdiag_butterfly_project`, one rank-1 SVD per slice) and ours are both the
  /// optimal Monarch approximation; with distinct top singular values it is unique, so the dense matrices agree.
  @Test(arguments: [16, 36])
  func projectionMatchesTheReferenceProjection(n: Int) throws {
    let matrix = try fixture("monarch_projection\(n)_matrix")
    let referenceDense = try fixture("monarch_projection\(n)_dense")
    let referenceFactors = try MonarchMatrix(
      w1: fixture("monarch_projection\(n)_w1"), w2: fixture("monarch_projection\(n)_w2"))
    #expect(discrepancy(referenceFactors.dense(), referenceDense, absoluteTolerance: 1e-12).isWithinTolerance)

    let blocks = Int(Double(n).squareRoot())
    let projection = try project(matrix, inBlocks: blocks, outBlocks: blocks, rank: 1)
    let check = discrepancy(projection.matrix.dense(), referenceDense, absoluteTolerance: 1e-9)
    #expect(check.isWithinTolerance, "\(check)")
    let referenceError = (matrix - referenceDense).frobeniusNorm
    #expect(abs(projection.error - referenceError) <= 1e-9 * referenceError)
  }

  /// Float factors and inputs against the reference multiply of the same values in `Double`, through the
  /// public `multiply` (the packed kernels take the 16- and 64-block layouts, where `l` is a multiple of 16;
  /// 4 and 12 blocks take the GEMM path), at batches 1, 5 and 33.
  @Test(arguments: ["float4", "float12", "float16", "float64"])
  func floatProductsMatchTheReference(name: String) throws {
    func read(_ key: String) throws -> Tensor<Float> {
      let url = try #require(Bundle.module.url(forResource: "Fixtures/monarch_\(name)_\(key)", withExtension: "npy"))
      return try NPYFile.read(url).tensor(as: Float.self)
    }
    let m = try MonarchMatrix(w1: read("w1"), w2: read("w2"))
    let x = try read("x")
    let y = try fixture("monarch_\(name)_y")
    for batch in [1, 5, 33] {
      let rows = Tensor<Float>(shape: [batch, x.columns], scalars: Array(x.scalars.prefix(batch * x.columns)))
      let expected = Tensor<Double>(shape: [batch, y.columns], scalars: Array(y.scalars.prefix(batch * y.columns)))
      let product = try m.multiply(rows)
      // Float rounding of sums of r·p ≤ 1024 terms of unit size: 1e-5 of the row scale.
      let check = discrepancy(product, expected, absoluteTolerance: 1e-5 * 4, relativeTolerance: 1e-5)
      #expect(check.isWithinTolerance, "\(name), batch \(batch): \(check)")
    }
  }
}
