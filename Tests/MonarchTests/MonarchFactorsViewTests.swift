import TensorCore
import TestSupport
import Testing

@testable import Monarch

/// Layouts `(in, out, k, l, q, r)` for the borrowed-factor kernels: 2, 4, 16 and 64 blocks, rectangular
/// shapes, padding on either side, `l` not a multiple of 16, and a layout with unequal slice ranks.
let viewLayouts: [(Int, Int, Int, Int, Int, Int)] = [
  (12, 10, 2, 2, 4, 4),  // padding on neither side, ρ = 2
  (50, 37, 4, 3, 6, 8),  // p = 13 and s = 13: both sides padded
  (96, 40, 3, 5, 10, 6),  // rectangular, l = 5
  (256, 256, 16, 16, 16, 16),  // the packed forward's layout
  (128, 128, 64, 64, 64, 64),  // 64 blocks of 2
  (64, 64, 2, 16, 24, 3),  // q = 24 is not a multiple of l = 16: unequal slice ranks
  (256, 256, 4, 4, 64, 64),  // 4 large blocks (p = 64, ρ = 16)
]

/// The transposed multiply `v = u M` written out with the explicit permutations, in `Double`.
func referenceMultiplyTransposed<S: TensorScalar>(_ u: Tensor<S>, _ m: MonarchMatrix<S>) -> Tensor<Double> {
  let layout = m.layout
  let (k, l, p, q, s, r) = (
    layout.inBlocks, layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize,
    layout.secondBlockColumns
  )
  var v = Tensor<Double>(zeros: [u.shape[0], layout.inFeatures])
  for b in 0..<u.shape[0] {
    // h[b, rr·l + ll] = Σ_ss w2[ll, ss, rr] · u[b, ss·l + ll]
    var h = [Double](repeating: 0, count: k * q)
    for ll in 0..<l {
      for rr in 0..<r {
        for ss in 0..<s where ss * l + ll < layout.outFeatures {
          h[rr * l + ll] += Double(m.w2[ll, ss, rr]) * Double(u[b, ss * l + ll])
        }
      }
    }
    // v[b, kk·p + pp] = Σ_qq w1[kk, qq, pp] · h[b, kk·q + qq]
    for kk in 0..<k {
      for pp in 0..<p where kk * p + pp < layout.inFeatures {
        var sum = 0.0
        for qq in 0..<q { sum += Double(m.w1[kk, qq, pp]) * h[kk * q + qq] }
        v[b, kk * p + pp] = sum
      }
    }
  }
  return v
}

/// The factor gradients from the dense gradient `dM = dYᵀ X` mapped through the structure: every middle
/// index `t = kk·q + qq = rr·l + ll` contributes `w2[ll, ss, rr] · w1[kk, qq, pp]` to `M[ss·l + ll, kk·p + pp]`,
/// so `dw1[kk, qq, pp] = Σ_ss w2[ll, ss, rr] · dM[ss·l + ll, kk·p + pp]` and
/// `dw2[ll, ss, rr] = Σ_pp w1[kk, qq, pp] · dM[ss·l + ll, kk·p + pp]`, in `Double`.
func referenceFactorGradients<S: TensorScalar>(
  input x: Tensor<S>, outputGradient dy: Tensor<S>, _ m: MonarchMatrix<S>
) -> (w1: Tensor<Double>, w2: Tensor<Double>) {
  let layout = m.layout
  let (l, p, q, s) = (layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize)
  let dm = naiveMatmul(dy.transposed(), x)
  var dw1 = Tensor<Double>(zeros: layout.firstFactorShape)
  var dw2 = Tensor<Double>(zeros: layout.secondFactorShape)
  for t in 0..<layout.middleWidth {
    let (kk, qq, ll, rr) = (t / q, t % q, t % l, t / l)
    for ss in 0..<s where ss * l + ll < layout.outFeatures {
      for pp in 0..<p where kk * p + pp < layout.inFeatures {
        let gradient = dm[ss * l + ll, kk * p + pp]
        dw1[kk, qq, pp] += Double(m.w2[ll, ss, rr]) * gradient
        dw2[ll, ss, rr] += Double(m.w1[kk, qq, pp]) * gradient
      }
    }
  }
  return (dw1, dw2)
}

@Suite("Monarch kernels on borrowed factors: forward, transposed, gradients against naive references")
struct MonarchFactorsViewTests {
  func layout(_ shape: (Int, Int, Int, Int, Int, Int)) throws -> MonarchLayout {
    try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, firstBlockRows: shape.4,
      secondBlockColumns: shape.5)
  }

  /// Runs `body` with a view of `m`'s factors.
  func withView<S: TensorScalar, R>(_ m: MonarchMatrix<S>, _ body: (MonarchFactorsView<S>) throws -> R) throws -> R {
    try m.w1.scalars.withUnsafeBufferPointer { w1 in
      try m.w2.scalars.withUnsafeBufferPointer { w2 in
        try body(try MonarchFactorsView(layout: m.layout, w1: w1, w2: w2))
      }
    }
  }

  /// Every operation of the view on `batch` rows, into buffers that start as NaN (an unwritten output shows).
  func run<S: TensorScalar>(_ m: MonarchMatrix<S>, x: Tensor<S>, dy: Tensor<S>) throws -> (
    y: Tensor<S>, v: Tensor<S>, dx: Tensor<S>, dw1: Tensor<S>, dw2: Tensor<S>
  ) {
    let batch = x.shape[0]
    var y = Tensor<S>(repeating: .nan, shape: [batch, m.layout.outFeatures])
    var v = Tensor<S>(repeating: .nan, shape: [batch, m.layout.inFeatures])
    var dx = v
    var dw1 = Tensor<S>(repeating: .nan, shape: m.layout.firstFactorShape)
    var dw2 = Tensor<S>(repeating: .nan, shape: m.layout.secondFactorShape)
    try withView(m) { view in
      x.scalars.withUnsafeBufferPointer { px in
        dy.scalars.withUnsafeBufferPointer { pdy in
          y.scalars.withUnsafeMutableBufferPointer { view.multiply(px.baseAddress!, batch: batch, into: $0.baseAddress!) }
          v.scalars.withUnsafeMutableBufferPointer {
            view.multiplyTransposed(pdy.baseAddress!, batch: batch, into: $0.baseAddress!)
          }
          dx.scalars.withUnsafeMutableBufferPointer { pdx in
            dw1.scalars.withUnsafeMutableBufferPointer { pdw1 in
              dw2.scalars.withUnsafeMutableBufferPointer { pdw2 in
                view.gradients(
                  input: px.baseAddress!, outputGradient: pdy.baseAddress!, batch: batch,
                  inputGradient: pdx.baseAddress!, w1Gradient: pdw1.baseAddress!, w2Gradient: pdw2.baseAddress!)
              }
            }
          }
        }
      }
    }
    return (y, v, dx, dw1, dw2)
  }

  @Test(arguments: viewLayouts)
  func everyOperationMatchesTheNaiveReferenceInDouble(shape: (Int, Int, Int, Int, Int, Int)) throws {
    let layout = try layout(shape)
    var generator = SeededGenerator(seed: 51)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let dense = referenceDense(m)
    for batch in [1, 3, 17] {
      let x = Tensor<Double>.normal(shape: [batch, shape.0], using: &generator)
      let dy = Tensor<Double>.normal(shape: [batch, shape.1], using: &generator)
      let result = try run(m, x: x, dy: dy)
      let (dw1, dw2) = referenceFactorGradients(input: x, outputGradient: dy, m)
      let transposed = referenceMultiplyTransposed(dy, m)
      for (name, value, reference) in [
        ("forward", result.y, referenceMultiply(x, m)), ("transposed", result.v, transposed),
        ("transposed vs dY·M", result.v, naiveMatmul(dy, dense)), ("dx", result.dx, transposed),
        ("dw1", result.dw1, dw1), ("dw2", result.dw2, dw2),
      ] {
        let check = discrepancy(value, reference, absoluteTolerance: 1e-11, relativeTolerance: 1e-11)
        #expect(check.isWithinTolerance, "\(layout), batch \(batch), \(name): \(check)")
      }
    }
  }

  @Test(arguments: viewLayouts)
  func floatOperationsMatchTheDoubleReference(shape: (Int, Int, Int, Int, Int, Int)) throws {
    let layout = try layout(shape)
    var generator = SeededGenerator(seed: 52)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let x = Tensor<Float>.normal(shape: [9, shape.0], using: &generator)
    let dy = Tensor<Float>.normal(shape: [9, shape.1], using: &generator)
    let result = try run(m, x: x, dy: dy)
    let (dw1, dw2) = referenceFactorGradients(input: x, outputGradient: dy, m)
    let transposed = referenceMultiplyTransposed(dy, m)
    for (name, value, reference) in [
      ("forward", result.y, referenceMultiply(x, m)), ("transposed", result.v, transposed),
      ("dx", result.dx, transposed), ("dw1", result.dw1, dw1), ("dw2", result.dw2, dw2),
    ] {
      let check = discrepancy(value, reference, absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
      #expect(check.isWithinTolerance, "\(layout), \(name): \(check)")
    }
    // The matrix API runs the same operations and agrees.
    let gradients = try m.gradients(input: x, outputGradient: dy)
    #expect(try discrepancy(m.multiplyTransposed(dy), transposed, absoluteTolerance: 1e-4, relativeTolerance: 1e-4).isWithinTolerance)
    #expect(discrepancy(gradients.w1, dw1, absoluteTolerance: 1e-4, relativeTolerance: 1e-4).isWithinTolerance)
    #expect(discrepancy(gradients.w2, dw2, absoluteTolerance: 1e-4, relativeTolerance: 1e-4).isWithinTolerance)
  }

  @Test func weightGradientsAgreeWithCentralDifferencesOfTheLoss() throws {
    // L = Σ c ⊙ (x Mᵀ): ∂L/∂w is the gradient with dY = c.
    let layout = try MonarchLayout(inFeatures: 14, outFeatures: 9, inBlocks: 3, outBlocks: 2, rank: 2)
    var generator = SeededGenerator(seed: 53)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let x = Tensor<Double>.normal(shape: [5, 14], using: &generator)
    let c = Tensor<Double>.normal(shape: [5, 9], using: &generator)
    let result = try run(m, x: x, dy: c)
    func loss(_ w1: Tensor<Double>, _ w2: Tensor<Double>) throws -> Double {
      let y = try MonarchMatrix(validated: layout, w1: w1, w2: w2).multiply(x)
      return zip(y.scalars, c.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let step = 1e-6
    var worst = 0.0
    for index in 0..<m.w1.count where (index % layout.inBlockSize) + (index / (layout.firstBlockRows * layout.inBlockSize)) * layout.inBlockSize < 14 {
      var (plus, minus) = (m.w1, m.w1)
      plus.scalars[index] += step
      minus.scalars[index] -= step
      let numeric = (try loss(plus, m.w2) - loss(minus, m.w2)) / (2 * step)
      worst = max(worst, abs(numeric - result.dw1.scalars[index]))
    }
    for index in 0..<m.w2.count {
      var (plus, minus) = (m.w2, m.w2)
      plus.scalars[index] += step
      minus.scalars[index] -= step
      let numeric = (try loss(m.w1, plus) - loss(m.w1, minus)) / (2 * step)
      worst = max(worst, abs(numeric - result.dw2.scalars[index]))
    }
    #expect(worst < 1e-7, "worst gradient error \(worst)")
    // The padded column of w1 (block 2, column 4: input 14) gets a zero gradient.
    for qq in 0..<layout.firstBlockRows { #expect(result.dw1[2, qq, 4] == 0) }
  }

  @Test func gradientsAccumulateAndSkipWhatIsNotAskedFor() throws {
    let layout = try MonarchLayout(inFeatures: 50, outFeatures: 37, inBlocks: 4, outBlocks: 3, rank: 2)
    var generator = SeededGenerator(seed: 54)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let x = Tensor<Double>.normal(shape: [6, 50], using: &generator)
    let dy = Tensor<Double>.normal(shape: [6, 37], using: &generator)
    let (dw1, dw2) = referenceFactorGradients(input: x, outputGradient: dy, m)
    var w1Gradient = Tensor<Double>(repeating: 1, shape: layout.firstFactorShape)
    var w2Gradient = Tensor<Double>(repeating: .nan, shape: layout.secondFactorShape)
    try withView(m) { view in
      x.scalars.withUnsafeBufferPointer { px in
        dy.scalars.withUnsafeBufferPointer { pdy in
          w1Gradient.scalars.withUnsafeMutableBufferPointer { pdw1 in
            // Twice onto ones: 1 + 2·dw1 (the padded columns stay 1: nothing is added there).
            for _ in 0..<2 {
              view.gradients(
                input: px.baseAddress!, outputGradient: pdy.baseAddress!, batch: 6, inputGradient: nil,
                w1Gradient: pdw1.baseAddress!, w2Gradient: nil, accumulate: true)
            }
          }
          w2Gradient.scalars.withUnsafeMutableBufferPointer { pdw2 in
            view.gradients(
              input: px.baseAddress!, outputGradient: pdy.baseAddress!, batch: 6, inputGradient: nil,
              w1Gradient: nil, w2Gradient: pdw2.baseAddress!)
          }
        }
      }
    }
    let expected = dw1.map { 1 + 2 * $0 }
    #expect(discrepancy(w1Gradient, expected, absoluteTolerance: 1e-11, relativeTolerance: 1e-11).isWithinTolerance)
    #expect(discrepancy(w2Gradient, dw2, absoluteTolerance: 1e-11, relativeTolerance: 1e-11).isWithinTolerance)
  }

  @Test func buffersOfTheWrongLengthAreRejectedByName() throws {
    let layout = try MonarchLayout(inFeatures: 12, outFeatures: 10, blocks: 2)
    let w1 = [Float](repeating: 0, count: layout.firstFactorShape.reduce(1, *))
    let w2 = [Float](repeating: 0, count: layout.secondFactorShape.reduce(1, *) - 1)
    w1.withUnsafeBufferPointer { p1 in
      w2.withUnsafeBufferPointer { p2 in
        #expect(throws: MonarchError.self) { try MonarchFactorsView(layout: layout, w1: p1, w2: p2) }
        do {
          _ = try MonarchFactorsView(layout: layout, w1: p1, w2: p2)
        } catch {
          #expect("\(error)".contains("w2"))
        }
      }
    }
  }
}
