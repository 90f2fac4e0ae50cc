import Foundation
import Monarch
import TensorCore
import TestSupport
import Testing

@Suite("Monarch rank-1 projection reaches the exact optimum (LAPACK SVD per slice)")
struct MonarchRankOneOptimalityTests {
  /// The optimal rank-1 projection by LAPACK's SVD of every slice, written out independently of the library's
  /// projection: the captured energy `Σ σ₁²` and the dense matrix `Σ σ₁ u₁ v₁ᵀ` placed back into its slices.
  func exactRankOne(_ w: Tensor<Double>, blocks: Int) throws -> (captured: Double, dense: Tensor<Double>) {
    let (n, p) = (w.rows, w.rows / blocks)
    var dense = Tensor<Double>(zeros: [n, n])
    var captured = 0.0
    for kk in 0..<blocks {
      for ll in 0..<blocks {
        // Slice (kk, ll): rows ll, ll + l, …; columns kk·p ..< (kk+1)·p.
        let slice = Tensor<Double>(shape: [p, p]) { index in w[(index / p) * blocks + ll, kk * p + index % p] }
        let svd = try singularValueDecomposition(slice)
        let sigma = svd.singularValues[0]
        captured += sigma * sigma
        for i in 0..<p {
          for j in 0..<p { dense[i * blocks + ll, kk * p + j] = sigma * svd.u[i, 0] * svd.vt[0, j] }
        }
      }
    }
    return (captured, dense)
  }

  /// A matrix with singular values `decay^i`: a steep spectrum in every slice.
  func steep(_ n: Int, decay: Double, using generator: inout SeededGenerator) throws -> Tensor<Double> {
    let q1 = try qrDecomposition(Tensor<Double>.normal(shape: [n, n], using: &generator)).q
    let q2 = try qrDecomposition(Tensor<Double>.normal(shape: [n, n], using: &generator)).q
    var scaled = q1
    for i in 0..<n { for j in 0..<n { scaled[i, j] *= pow(decay, Double(j)) } }
    return naiveMatmul(scaled, q2.transposed())
  }

  @Test(arguments: [("flat", 512, 2), ("flat", 256, 4), ("flat", 256, 16), ("steep", 256, 4)])
  func capturedEnergyAndFactorsMatchTheOptimum(spectrum: String, n: Int, blocks: Int) throws {
    var generator = SeededGenerator(seed: UInt64(n + blocks))
    let wDouble =
      spectrum == "flat"
      ? Tensor<Double>.normal(shape: [n, n], using: &generator) : try steep(n, decay: 0.97, using: &generator)
    let w = wDouble.converted(to: Float.self)
    let exact = try exactRankOne(w.converted(to: Double.self), blocks: blocks)
    let layout = try MonarchLayout(inFeatures: n, outFeatures: n, blocks: blocks, rank: 1)
    let projection = try project(w, onto: layout)
    let captured = projection.norm * projection.norm - projection.error * projection.error
    #expect(abs(captured - exact.captured) <= 1e-6 * exact.captured, "captured \(captured) vs \(exact.captured)")
    let dense = projection.matrix.dense().converted(to: Double.self)
    let distance = (dense - exact.dense).frobeniusNorm / exact.dense.frobeniusNorm
    #expect(distance < 1e-4, "factors \(distance) from the exact projection")
  }

  @Test func zeroAndRankDeficientMatricesProjectExactly() throws {
    let layout = try MonarchLayout(inFeatures: 64, outFeatures: 64, blocks: 4, rank: 1)
    let zero = try project(Tensor<Float>(zeros: [64, 64]), onto: layout)
    #expect(zero.error == 0 && zero.norm == 0 && zero.relativeError == 0)
    #expect(zero.matrix.w1.scalars.allSatisfy { $0 == 0 } && zero.matrix.w2.scalars.allSatisfy { $0 == 0 })
    // A Kronecker product with a rank-deficient factor is exactly Monarch with several zero slices.
    var generator = SeededGenerator(seed: 4)
    var a = Tensor<Float>.normal(shape: [4, 4], using: &generator)
    for j in 0..<4 { a[1, j] = 0; a[3, j] = 2 * a[0, j] }
    let w = kronecker(a, Tensor<Float>.normal(shape: [16, 16], using: &generator))
    // A ⊗ B with A: 4 × 4 and B: 16 × 16 has k = 4 in-blocks of 16 and l = 16 out-blocks of 4, rank 1.
    let kroneckerLayout = try MonarchLayout(inFeatures: 64, outFeatures: 64, inBlocks: 4, outBlocks: 16, rank: 1)
    let projection = try project(w, onto: kroneckerLayout)
    #expect(projection.error <= 1e-6 * projection.norm)
    let dense = projection.matrix.dense().converted(to: Double.self)
    #expect((dense - w.converted(to: Double.self)).frobeniusNorm <= 1e-5 * projection.norm)
    for rank in [1, 2] {
      let general = try project(Tensor<Double>(zeros: [12, 12]), onto: MonarchLayout(inFeatures: 12, outFeatures: 12, blocks: 3, rank: rank))
      #expect(general.error == 0 && general.matrix.w1.scalars.allSatisfy { $0 == 0 })
    }
  }

  @Test func nonFiniteWeightsAreNamedErrors() throws {
    let layout = try MonarchLayout(inFeatures: 16, outFeatures: 16, blocks: 4, rank: 2)
    for bad in [Float.nan, .infinity, -.infinity] {
      for scalarIsDouble in [false, true] {
        var w = Tensor<Float>(repeating: 1, shape: [16, 16])
        w[5, 9] = bad
        do {
          if scalarIsDouble {
            _ = try project(w.converted(to: Double.self), onto: layout, name: "weight")
          } else {
            _ = try project(w, onto: layout, name: "weight")
          }
          Issue.record("\(bad) accepted")
        } catch MonarchError.nonFinite(let argument, let index, let value) {
          #expect(argument == "weight" && index == 5 * 16 + 9 && (value.isNaN == bad.isNaN))
        }
        var generator = SeededGenerator(seed: 1)
        #expect(throws: MonarchError.self) { try LowRankBaseline(of: w, parameterCount: 64, using: &generator) }
      }
    }
  }
}
