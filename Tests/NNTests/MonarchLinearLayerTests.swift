import Monarch
import NN
import TensorCore
import TestSupport
import Testing

/// `y = x Mᵀ + b` in Double straight from the Monarch definition, zero-padding the input to `k·p` and
/// dropping the padded outputs: `h[kk·q + qq] = Σ w1[kk, qq, pp] x[kk·p + pp]`, `g[ll, rr] = h[rr·l + ll]`,
/// `y[ss·l + ll] = Σ w2[ll, ss, rr] g[ll, rr]`.
func referenceMonarch(
  _ x: [Double], _ w1: [Double], _ w2: [Double], _ b: [Double]?, rows: Int, layout: MonarchLayout
) -> [Double] {
  let (k, l, p, q, s, r) = (
    layout.inBlocks, layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize,
    layout.secondBlockColumns
  )
  let (input, output) = (layout.inFeatures, layout.outFeatures)
  var y = [Double](repeating: 0, count: rows * output)
  for row in 0..<rows {
    var h = [Double](repeating: 0, count: k * q)
    for kk in 0..<k {
      for qq in 0..<q {
        for pp in 0..<p where kk * p + pp < input {
          h[kk * q + qq] += w1[(kk * q + qq) * p + pp] * x[row * input + kk * p + pp]
        }
      }
    }
    for ll in 0..<l {
      for ss in 0..<s where ss * l + ll < output {
        var sum = b?[ss * l + ll] ?? 0
        for rr in 0..<r { sum += w2[(ll * s + ss) * r + rr] * h[rr * l + ll] }
        y[row * output + ss * l + ll] = sum
      }
    }
  }
  return y
}

@Suite("MonarchLinearLayer against the Monarch definition and finite differences")
struct MonarchLinearLayerTests {
  let rows = 3
  // 7 inputs in 2 blocks of 4 (one padded column), 6 outputs in 2 blocks of 3, slice rank 1: q = r = 2.
  let monarch: MonarchLayout

  init() throws { monarch = try MonarchLayout(inFeatures: 7, outFeatures: 6, blocks: 2) }

  @Test func forwardAndEveryGradientMatchTheDefinition() throws {
    var layout = ParameterLayout()
    let layer = try MonarchLinearLayer("fc", monarchLayout: monarch, layout: &layout)
    let store = try ParameterStore(layout: layout)
    #expect(store[layer.w1].shape == [2, 2, 4] && store[layer.w2].shape == [2, 3, 2])
    let (input, output) = (monarch.inFeatures, monarch.outFeatures)
    let x = samples(rows * input, seed: 1)
    let w1 = samples(16, seed: 2)
    let (w2, b, dy) = (samples(12, seed: 3), samples(output, seed: 4), samples(rows * output, seed: 5))
    store.set(layer.w1, w1)
    store.set(layer.w2, w2)
    store.set(layer.bias!, b)
    let m = Matrices()
    let (xv, yv, dyv, dxv) = (m.make(rows, input, x), m.make(rows, output), m.make(rows, output, dy), m.make(rows, input))
    layer.forward(xv.readOnly, into: yv, parameters: store)
    let reference = { (x: [Double], w1: [Double], w2: [Double], b: [Double]) in
      referenceMonarch(x, w1, w2, b, rows: self.rows, layout: self.monarch)
    }
    expectClose(yv.elements, reference(x, w1, w2, b), tolerance: 1e-6, "y")
    let workspace = Workspace()
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .overwrite(dxv), parameters: store,
      workspace: workspace)
    let loss = { (x: [Double], w1: [Double], w2: [Double], b: [Double]) in weightedSum(reference(x, w1, w2, b), dy) }
    expectClose(dxv.elements, finiteDifferenceGradient(of: { loss($0, w1, w2, b) }, at: x), tolerance: 1e-6, "dx")
    let dw1 = finiteDifferenceGradient(of: { loss(x, $0, w2, b) }, at: w1)
    expectClose(store.gradient(layer.w1), dw1, tolerance: 1e-6, "dw1")
    #expect(store.gradient(layer.w1)[(1 * 2 + 0) * 4 + 3] == 0, "the padded column has no gradient")
    expectClose(
      store.gradient(layer.w2), finiteDifferenceGradient(of: { loss(x, w1, $0, b) }, at: w2), tolerance: 1e-6, "dw2")
    expectClose(
      store.gradient(layer.bias!), finiteDifferenceGradient(of: { loss(x, w1, w2, $0) }, at: b), tolerance: 1e-6, "db")

    // A second backward accumulates into the store and, when asked, into the input gradient.
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .accumulate(dxv), parameters: store,
      workspace: workspace)
    expectClose(store.gradient(layer.w1), dw1.map { 2 * $0 }, tolerance: 1e-6, "2 dw1")
    expectClose(
      dxv.elements, finiteDifferenceGradient(of: { 2 * loss($0, w1, w2, b) }, at: x), tolerance: 1e-6, "2 dx")
  }

  @Test func frozenFactorsAndUnaskedInputGradientAreSkipped() throws {
    var layout = ParameterLayout()
    let layer = try MonarchLinearLayer("base", monarchLayout: monarch, bias: false, naming: .pytorch, layout: &layout)
    let store = try ParameterStore(layout: layout)
    #expect(store.slots.map(\.name) == ["base.blkdiag1", "base.blkdiag2"])
    var generator = SeededGenerator(seed: 6)
    layer.initialize(store, using: &generator)
    let m = Matrices()
    let xv = m.make(rows, monarch.inFeatures, samples(rows * monarch.inFeatures, seed: 7))
    let dyv = m.make(rows, monarch.outFeatures, samples(rows * monarch.outFeatures, seed: 8))
    #expect(store.setTrainable(false) { $0 == "base.blkdiag1" } == 1)
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: nil, parameters: store, workspace: Workspace())
    #expect(store.gradient(layer.w1).allSatisfy { $0 == 0 }, "frozen w1 got a gradient")
    #expect(store.gradient(layer.w2).contains { $0 != 0 }, "trainable w2 got none")
  }

  @Test func initializationMatchesTheDenseOutputVariance() throws {
    // 256 → 256 with 4 blocks: a dense nn.Linear gives Var y = Var x / 3 for unit inputs.
    var layout = ParameterLayout()
    let layer = try MonarchLinearLayer("fc", inputFeatures: 256, outputFeatures: 256, blocks: 4, bias: false, layout: &layout)
    let store = try ParameterStore(layout: layout)
    var generator = SeededGenerator(seed: 9)
    layer.initialize(store, using: &generator)
    let m = Matrices()
    let batch = 64
    let (xv, yv) = (m.make(batch, 256, samples(batch * 256, seed: 10)), m.make(batch, 256))
    layer.forward(xv.readOnly, into: yv, parameters: store)
    let variance = yv.elements.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(batch * 256)
    #expect(abs(variance - 1.0 / 3) < 0.05, "output variance \(variance), dense layer gives 1/3")

    #expect(throws: TrainingError.self) {
      var other = ParameterLayout()
      _ = try MonarchLinearLayer("bad", inputFeatures: 6, outputFeatures: 6, blocks: 7, layout: &other)
    }
  }
}
