import CKernels
import TensorCore
import TestSupport
import Testing

@testable import Monarch

/// Layouts `(in, out, k, l, ρ)` the packed forward kernels accept: one 16-lane chunk per middle row (q = 16),
/// five chunks (a group of four and a tail), output blocks that the register block of four does not divide
/// (s = 18), and two lane chunks per output run (l = 32).
let packedLayouts: [(Int, Int, Int, Int, Int)] = [
  (256, 256, 16, 16, 1), (96, 288, 3, 16, 5), (128, 64, 2, 32, 2),
]

/// The vector levels of `sml_cpu_vector_level`: baseline, AVX2+FMA, AVX-512 (lowered to what the processor has).
let vectorLevels: [Int32] = [0, 2, 3]

@Suite("Monarch packed C kernels: forward tiles and the rank-1 slice kernel")
struct MonarchPackedKernelTests {
  @Test(arguments: packedLayouts)
  func packedForwardAgreesWithTheViewPathAndTheReference(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    #expect(PackedForward.accepts(layout))
    var generator = SeededGenerator(seed: 31)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    // 71 rows: two full tiles of 32 and a tail of 7 that no register block divides.
    let x = Tensor<Float>.normal(shape: [71, shape.0], using: &generator)
    var onView = Tensor<Float>(zeros: [71, shape.1])
    m.multiplyOnFactorsView(x, into: &onView)
    let reference = referenceMultiply(x, m)
    let packed = m.withFactorsView { PackedForward($0) }
    for level in vectorLevels {
      var y = Tensor<Float>(repeating: .nan, shape: [71, shape.1])
      x.scalars.withUnsafeBufferPointer { px in
        y.scalars.withUnsafeMutableBufferPointer { py in
          packed.multiply(px.baseAddress!, batch: 71, into: py.baseAddress!, level: level)
        }
      }
      let againstView = discrepancy(y, onView, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
      #expect(againstView.isWithinTolerance, "\(layout), level \(level): \(againstView)")
      let againstReference = discrepancy(y, reference, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
      #expect(againstReference.isWithinTolerance, "\(layout), level \(level): \(againstReference)")
    }
    #expect(try discrepancy(m.multiply(x), onView, absoluteTolerance: 1e-5, relativeTolerance: 1e-5).isWithinTolerance)
  }

  @Test func layoutsOutsideThePackedKernelsTakeTheViewPath() throws {
    // l not a multiple of 16, padding on input or output, unequal slice ranks.
    #expect(!PackedForward.accepts(try MonarchLayout(inFeatures: 64, outFeatures: 64, blocks: 8)))
    #expect(!PackedForward.accepts(try MonarchLayout(inFeatures: 250, outFeatures: 256, blocks: 16)))
    #expect(!PackedForward.accepts(try MonarchLayout(inFeatures: 256, outFeatures: 250, blocks: 16)))
    #expect(
      !PackedForward.accepts(
        try MonarchLayout(
          inFeatures: 64, outFeatures: 64, inBlocks: 2, outBlocks: 16, firstBlockRows: 24, secondBlockColumns: 3)))
  }

  /// Runs the rank-1 slice kernel on a row-major `rows × columns` matrix.
  func topSingular(_ a: Tensor<Float>, level: Int32) -> (sigma: Double, u: [Double], v: [Double], norm2: Double, error2: Double) {
    let (rows, columns) = (a.rows, a.columns)
    var scratch = [Float](repeating: .nan, count: sml_monarch_top_singular_workspace(Int32(rows), Int32(columns), 12))
    var u = [Double](repeating: .nan, count: rows)
    var v = [Double](repeating: .nan, count: columns)
    var norm2 = 0.0
    var error2 = 0.0
    let sigma = a.scalars.withUnsafeBufferPointer { pa in
      sml_monarch_top_singular_f32(
        pa.baseAddress, columns, Int32(rows), Int32(columns), 12, &scratch, &u, &v, &norm2, &error2, level)
    }
    return (sigma, u, v, norm2, error2)
  }

  @Test(arguments: [(64, 64), (20, 37), (33, 16)])
  func rankOneSliceKernelMatchesLAPACKWithin1e4(shape: (Int, Int)) throws {
    var generator = SeededGenerator(seed: 32)
    let a = Tensor<Float>.normal(shape: [shape.0, shape.1], using: &generator)
    let exact = try singularValueDecomposition(a.converted(to: Double.self))
    let exactError2 = exact.singularValues.dropFirst().reduce(0) { $0 + $1 * $1 }
    let norm2 = a.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
    for level in vectorLevels {
      let result = topSingular(a, level: level)
      #expect(abs(result.norm2 - norm2) <= 1e-12 * norm2)
      // The error of the returned pair: never below the optimum, and within 1e-4 of it.
      #expect(result.error2 >= exactError2 * (1 - 1e-12), "level \(level)")
      #expect(result.error2.squareRoot() <= exactError2.squareRoot() * (1 + 1e-4), "level \(level)")
      // The reported error is the residual of σ u vᵀ, recomputed here.
      var residual = 0.0
      for i in 0..<shape.0 {
        for j in 0..<shape.1 {
          let difference = Double(a[i, j]) - result.sigma * result.u[i] * result.v[j]
          residual += difference * difference
        }
      }
      #expect(abs(residual - result.error2) <= 1e-9 * norm2, "level \(level): \(residual) vs \(result.error2)")
      #expect(abs(result.sigma - exact.singularValues[0]) <= 1e-4 * exact.singularValues[0])
    }
  }

  @Test func rankOneSliceIsReproducedAndZeroSliceGivesZero() throws {
    var generator = SeededGenerator(seed: 33)
    let left = Tensor<Float>.normal(shape: [24, 1], using: &generator)
    let right = Tensor<Float>.normal(shape: [1, 40], using: &generator)
    let a = matmul(left, right)
    let norm = a.converted(to: Double.self).frobeniusNorm
    for level in vectorLevels {
      let result = topSingular(a, level: level)
      #expect(result.error2.squareRoot() <= 1e-6 * norm, "level \(level): error \(result.error2.squareRoot())")
      #expect(abs(result.sigma - norm) <= 1e-6 * norm)
      let zero = topSingular(Tensor<Float>(zeros: [5, 7]), level: level)
      #expect(zero.sigma == 0 && zero.error2 == 0 && zero.norm2 == 0)
      #expect(zero.u.allSatisfy { $0 == 0 } && zero.v.allSatisfy { $0 == 0 })
    }
  }
}
