import CKernels
import TensorCore
import TestSupport
import Testing

@testable import Monarch

/// Shapes `(m, n, depth)` for the strided block product: single elements, every remainder of the register
/// blocks (rows not a multiple of 6 or 2, columns not a multiple of 16 or 64, a column tail alone), more rows than
/// one row block (96), depth beyond one depth block (256), and depth 0.
let blockProductShapes: [(Int, Int, Int)] = [
  (1, 1, 1), (7, 17, 5), (13, 64, 31), (100, 70, 3), (5, 9, 300), (97, 80, 257), (4, 16, 0), (2, 112, 16),
]

/// Layouts `(in, out, k, l, rank)` for the `Float` view kernels: 4 blocks of 50 inputs and 34 outputs, 3 and 5
/// blocks with padding on both sides, 16 blocks of 5, and two layouts of the lane-wise transposed step (`l` 16
/// with 18 outputs per block and r = 15 middle rows, which no register block divides; `l` 32 with rank 2).
let floatRemainderLayouts: [(Int, Int, Int, Int, Int)] = [
  (200, 136, 4, 4, 3), (95, 62, 3, 5, 2), (80, 80, 16, 16, 1), (96, 288, 3, 16, 5), (128, 64, 2, 32, 2),
]

@Suite("Monarch strided block product (sml_monarch_gemm_f32) and the Float view kernels built on it")
struct MonarchBlockProductTests {
  /// `C = A·B (+ C)` in `Double` with the bound `γ·Σ_t |A[i][t]·B[t][j]|` (plus `|C|` when accumulating) on the
  /// rounding error of any order of `depth + 1` fused or unfused single-precision additions, `γ = (depth + 1)·u /
  /// (1 − (depth + 1)·u)`, `u = 2⁻²⁴`; a kernel that is right to rounding meets it, a wrong index does not.
  func reference(
    m: Int, n: Int, depth: Int, a: (Int, Int) -> Float, b: [Float], c: [Float], accumulate: Bool
  ) -> (values: [Double], bounds: [Double]) {
    let u = 0x1p-24, terms = Double(depth + 1)
    let gamma = terms * u / (1 - terms * u)
    var values = [Double](repeating: 0, count: m * n), bounds = values
    for i in 0..<m {
      for j in 0..<n {
        var (sum, magnitude) = (accumulate ? Double(c[i * n + j]) : 0, accumulate ? abs(Double(c[i * n + j])) : 0)
        for t in 0..<depth {
          let product = Double(a(i, t)) * Double(b[t * n + j])
          sum += product
          magnitude += abs(product)
        }
        values[i * n + j] = sum
        bounds[i * n + j] = gamma * magnitude
      }
    }
    return (values, bounds)
  }

  @Test(arguments: blockProductShapes)
  func productMatchesTheDoubleReferenceForPlainAndTransposedLeftOperands(shape: (Int, Int, Int)) {
    let (m, n, depth) = shape
    var generator = SeededGenerator(seed: 71)
    // A stored both ways: plain m × depth (lda = depth + 3) and transposed depth × m (lda = m + 2).
    let plain = Tensor<Float>.normal(shape: [m * (depth + 3)], using: &generator).scalars
    let b = Tensor<Float>.normal(shape: [max(1, depth * n)], using: &generator).scalars
    let start = Tensor<Float>.normal(shape: [m * n], using: &generator).scalars
    var transposed = [Float](repeating: .nan, count: max(1, depth * (m + 2)))
    for i in 0..<m { for t in 0..<depth { transposed[t * (m + 2) + i] = plain[i * (depth + 3) + t] } }
    for accumulate in [false, true] {
      let expected = reference(
        m: m, n: n, depth: depth, a: { plain[$0 * (depth + 3) + $1] }, b: b, c: start, accumulate: accumulate)
      for level in vectorLevels {
        for (name, a, ars, acs) in [("plain", plain, depth + 3, 1), ("transposed", transposed, 1, m + 2)] {
          // Without accumulation C starts as NaN: every element must be written and the old value ignored.
          var c = accumulate ? start : [Float](repeating: .nan, count: m * n)
          a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
              c.withUnsafeMutableBufferPointer { pc in
                sml_monarch_gemm_f32(
                  Int32(m), Int32(n), Int32(depth), pa.baseAddress!, ars, acs, pb.baseAddress!, n, pc.baseAddress!, n,
                  accumulate ? 1 : 0, level)
              }
            }
          }
          let worst = zip(c, zip(expected.values, expected.bounds)).map { abs(Double($0) - $1.0) - $1.1 }.max() ?? 0
          #expect(worst <= 0, "\(shape) \(name), accumulate \(accumulate), level \(level): excess \(worst)")
        }
      }
    }
  }

  @Test func productLeavesMemoryAroundTheResultAlone() {
    // C is 3 × 20 inside rows of 25: the 5 columns after each row and the row after the block stay untouched.
    let (m, n, depth, ldc) = (3, 20, 4, 25)
    let a = [Float](repeating: 1, count: m * depth)
    let b = [Float](repeating: 2, count: depth * n)
    var c = [Float](repeating: -7, count: (m + 1) * ldc)
    sml_monarch_gemm_f32(Int32(m), Int32(n), Int32(depth), a, depth, 1, b, n, &c, ldc, 0, sml_cpu_vector_level())
    for i in 0...m {
      for j in 0..<ldc { #expect(c[i * ldc + j] == (i < m && j < n ? 8 : -7), "row \(i), column \(j)") }
    }
  }

  @Test(arguments: [(1, 5, 16), (3, 7, 37), (4, 9, 64), (2, 4, 0)])
  func dotProductFormMatchesTheDoubleReference(shape: (Int, Int, Int)) {
    let (m, n, depth) = shape
    var generator = SeededGenerator(seed: 73)
    let a = Tensor<Float>.normal(shape: [max(1, m * depth)], using: &generator).scalars
    let b = Tensor<Float>.normal(shape: [max(1, n * depth)], using: &generator).scalars
    let expected = reference(
      m: m, n: n, depth: depth, a: { a[$0 * depth + $1] }, b: (0..<max(1, depth * n)).map { b[($0 % n) * depth + $0 / n] },
      c: [], accumulate: false)
    for level in vectorLevels {
      var c = [Float](repeating: .nan, count: m * n)
      sml_monarch_gemm_nt_f32(Int32(m), Int32(n), Int32(depth), a, depth, b, depth, &c, n, level)
      let worst = zip(c, zip(expected.values, expected.bounds)).map { abs(Double($0) - $1.0) - $1.1 }.max() ?? 0
      #expect(worst <= 0, "\(shape), level \(level): excess \(worst)")
    }
  }

  @Test(arguments: [(1, 1), (8, 8), (13, 21), (16, 9), (3, 40)])
  func transposedCopyMovesEveryElementAndNothingElse(shape: (Int, Int)) {
    // Source rows 3 floats longer than needed, target rows 2 longer: the padding must stay untouched.
    let (rows, columns) = shape
    let (lds, ldd) = (columns + 3, rows + 2)
    let source = (0..<(rows * lds)).map { Float($0) }
    for level in vectorLevels {
      var target = [Float](repeating: -1, count: columns * ldd)
      sml_transpose_f32(Int32(rows), Int32(columns), source, lds, &target, ldd, level)
      for j in 0..<columns {
        for i in 0..<ldd {
          let expected: Float = i < rows ? Float(i * lds + j) : -1
          #expect(target[j * ldd + i] == expected, "\(shape), level \(level), target [\(j)][\(i)]")
        }
      }
    }
  }

  @Test func laneWiseTransposedStepMatchesTheDoubleReference() throws {
    // l = 32 (two lane chunks), s = 3, r = 4: h[b, rr·l + ll] = Σ_ss w2[ll, ss, rr] · u[b, ss·l + ll].
    let layout = try MonarchLayout(inFeatures: 10, outFeatures: 96, inBlocks: 2, outBlocks: 32, rank: 2)
    let (l, s, r, batch) = (32, 3, 4, 7)
    #expect(layout.outBlockSize == s && layout.secondBlockColumns == r)
    var generator = SeededGenerator(seed: 74)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let u = Tensor<Float>.normal(shape: [batch, l * s], using: &generator)
    var w2p = [Float](repeating: .nan, count: m.w2.count)
    m.withFactorsView { view in w2p.withUnsafeMutableBufferPointer { PackedForward.packSecondFactor(view, into: $0.baseAddress!) } }
    for level in vectorLevels {
      var h = [Float](repeating: .nan, count: batch * layout.middleWidth)
      sml_monarch_transposed_lanes_f32(
        u.scalars, l * s, Int32(batch), w2p, Int32(l), Int32(s), Int32(r), &h, layout.middleWidth, level)
      var worst = 0.0
      for b in 0..<batch {
        for ll in 0..<l {
          for rr in 0..<r {
            var (sum, magnitude) = (0.0, 0.0)
            for ss in 0..<s {
              let term = Double(m.w2[ll, ss, rr]) * Double(u[b, ss * l + ll])
              (sum, magnitude) = (sum + term, magnitude + abs(term))
            }
            // s + 1 = 4 rounded operations: the bound γ₄·Σ|terms|.
            worst = max(worst, abs(Double(h[b * layout.middleWidth + rr * l + ll]) - sum) - 4 * 0x1p-24 * magnitude * 1.01)
          }
        }
      }
      #expect(worst <= 0, "level \(level): excess \(worst)")
    }
  }

  @Test(arguments: floatRemainderLayouts)
  func floatViewMatchesTheDoubleReferenceAtRemaindersAndBatchSizes(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    var generator = SeededGenerator(seed: 72)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let tests = MonarchFactorsViewTests()
    // Batch 1 (generation), an odd batch, and for the two narrowest layouts (where the naive references stay
    // fast) 200 rows: several row tiles spread over the cores, one of them partial.
    for batch in [1, 7] + (shape.0 < 96 ? [200] : []) {
      let x = Tensor<Float>.normal(shape: [batch, shape.0], using: &generator)
      let dy = Tensor<Float>.normal(shape: [batch, shape.1], using: &generator)
      let result = try tests.run(m, x: x, dy: dy)
      let (dw1, dw2) = referenceFactorGradients(input: x, outputGradient: dy, m)
      let transposed = referenceMultiplyTransposed(dy, m)
      // Outputs are O(1) (unit inputs, factors scaled by 1/√fan-in); two chained Float sums of at most
      // p + r ≤ 62 terms err by under 62·2⁻²⁴·O(√62) ≈ 3·10⁻⁵. The factor gradients sum `batch` terms of size
      // O(1) per step: 2·10⁻⁴·√batch covers the same bound scaled by their size √batch.
      let gradientTolerance = 2e-4 * Double(batch).squareRoot()
      for (name, value, reference, tolerance) in [
        ("forward", result.y, referenceMultiply(x, m), 1e-4), ("transposed", result.v, transposed, 1e-4),
        ("dx", result.dx, transposed, 1e-4), ("dw1", result.dw1, dw1, gradientTolerance),
        ("dw2", result.dw2, dw2, gradientTolerance),
      ] {
        let check = discrepancy(value, reference, absoluteTolerance: tolerance, relativeTolerance: 1e-4)
        #expect(check.isWithinTolerance, "\(layout), batch \(batch), \(name): \(check)")
      }
    }
  }
}
