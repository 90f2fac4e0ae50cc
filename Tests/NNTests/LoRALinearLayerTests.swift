import Monarch
import NN
import TensorCore
import Testing

/// `y = base(x) + s·(D(x) Aᵀ) Bᵀ` in Double, `D` the adapter's dropout (mask of `step`, survivors scaled by
/// `1/(1 − p)`), `base` a Double reference of the base layer.
private func referenceLoRA(
  _ x: [Double], _ a: [Double], _ b: [Double], rows: Int, input: Int, output: Int, rank: Int, scale: Double,
  dropout: Dropout?, step: Int, base: ([Double]) -> [Double]
) -> [Double] {
  var y = base(x)
  for row in 0..<rows {
    var dropped = Array(x[(row * input)..<((row + 1) * input)])
    if let dropout {
      for j in 0..<input {
        dropped[j] = dropout.keeps(row: row, column: j, columns: input, step: step) ? dropped[j] / (1 - dropout.probability) : 0
      }
    }
    let u = (0..<rank).map { k in (0..<input).reduce(0.0) { $0 + dropped[$1] * a[k * input + $1] } }
    for i in 0..<output { y[row * output + i] += scale * (0..<rank).reduce(0.0) { $0 + u[$1] * b[i * rank + $1] } }
  }
  return y
}

/// `y = x Wᵀ + b` in Double.
private func referenceDense(_ x: [Double], _ w: [Double], _ bias: [Double], rows: Int, input: Int, output: Int) -> [Double] {
  (0..<(rows * output)).map { index in
    let (row, i) = (index / output, index % output)
    return bias[i] + (0..<input).reduce(0.0) { $0 + x[row * input + $1] * w[i * input + $1] }
  }
}

@Suite("LoRALinearLayer against finite differences, its base, and merging")
struct LoRALinearLayerTests {
  let rows = 4
  let input = 7
  let output = 6
  let rank = 2
  let step = 3

  /// A dense base `fc` with one adapter of rank 2, α = 3 (s = 1.5), dropout 0.3, every value random.
  private func denseLayer(dropout: Double = 0.3) throws -> (LoRALinearLayer, Linear, ParameterStore) {
    var layout = ParameterLayout()
    let base = try Linear("fc", inputFeatures: input, outputFeatures: output, layout: &layout)
    var layer = LoRALinearLayer("fc", base: base)
    try layer.addAdapter("default", scaling: try LoRAScaling(rank: rank, alpha: 3), dropout: dropout, seed: 11, layout: &layout)
    let store = try ParameterStore(layout: layout)
    store.set(base.weight, samples(input * output, seed: 1))
    store.set(base.bias!, samples(output, seed: 2))
    let adapter = layer.adapters[0]
    store.set(adapter.a, samples(rank * input, seed: 3))
    store.set(adapter.b, samples(output * rank, seed: 4))
    return (layer, base, store)
  }

  @Test func slotsHavePEFTNamesAndShapes() throws {
    let (_, _, store) = try denseLayer()
    #expect(store.slots.map(\.name) == ["fc.weight", "fc.bias", "fc.lora_A.default.weight", "fc.lora_B.default.weight"])
    #expect(store.slots.map(\.shape) == [[6, 7], [6], [2, 7], [6, 2]])
  }

  @Test func denseBaseGradientsMatchFiniteDifferencesWithDropout() throws {
    let (layer, base, store) = try denseLayer()
    let adapter = layer.adapters[0]
    #expect(adapter.dropout != nil && adapter.scaling.scale == 1.5)
    let (x, dy) = (samples(rows * input, seed: 5), samples(rows * output, seed: 6))
    let (w, bias) = (store.doubles(base.weight), store.doubles(base.bias!))
    let (a, b) = (store.doubles(adapter.a), store.doubles(adapter.b))
    let reference = { (x: [Double], w: [Double], a: [Double], b: [Double]) in
      referenceLoRA(
        x, a, b, rows: rows, input: input, output: output, rank: rank, scale: 1.5, dropout: adapter.dropout,
        step: step
      ) { referenceDense($0, w, bias, rows: rows, input: input, output: output) }
    }
    let m = Matrices()
    let (xv, yv, dyv, dxv) = (m.make(rows, input, x), m.make(rows, output), m.make(rows, output, dy), m.make(rows, input))
    let workspace = Workspace()
    layer.forward(xv.readOnly, into: yv, parameters: store, workspace: workspace, dropoutStep: step)
    expectClose(yv.elements, reference(x, w, a, b), tolerance: 1e-6, "y")
    #expect(
      reference(x, w, a, b) != referenceLoRA(
        x, a, b, rows: rows, input: input, output: output, rank: rank, scale: 1.5, dropout: nil, step: step
      ) { referenceDense($0, w, bias, rows: rows, input: input, output: output) }, "the mask drops something")
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .overwrite(dxv), parameters: store,
      workspace: workspace, dropoutStep: step)
    let loss = { (x: [Double], w: [Double], a: [Double], b: [Double]) in weightedSum(reference(x, w, a, b), dy) }
    expectClose(dxv.elements, finiteDifferenceGradient(of: { loss($0, w, a, b) }, at: x), tolerance: 1e-6, "dx")
    expectClose(store.gradient(adapter.a), finiteDifferenceGradient(of: { loss(x, w, $0, b) }, at: a), tolerance: 1e-6, "dA")
    expectClose(store.gradient(adapter.b), finiteDifferenceGradient(of: { loss(x, w, a, $0) }, at: b), tolerance: 1e-6, "dB")
    expectClose(store.gradient(base.weight), finiteDifferenceGradient(of: { loss(x, $0, a, b) }, at: w), tolerance: 1e-6, "dW")

    // An accumulating input gradient adds the base's and the adapter's parts to what it holds.
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .accumulate(dxv), parameters: store,
      workspace: workspace, dropoutStep: step)
    expectClose(dxv.elements, finiteDifferenceGradient(of: { 2 * loss($0, w, a, b) }, at: x), tolerance: 1e-6, "2 dx")
  }

  @Test func monarchBaseGradientsMatchFiniteDifferences() throws {
    let monarch = try MonarchLayout(inFeatures: 7, outFeatures: 6, blocks: 2)
    var layout = ParameterLayout()
    let base = try MonarchLinearLayer("fc", monarchLayout: monarch, layout: &layout)
    var layer = LoRALinearLayer("fc", base: base)
    try layer.addAdapter(
      "default", scaling: try LoRAScaling(rank: rank, alpha: 4, useRSLoRA: true), dropout: 0, layout: &layout)
    try layer.addAdapter("second", scaling: try LoRAScaling(rank: 1, alpha: 0.5), dropout: 0.25, seed: 9, layout: &layout)
    let store = try ParameterStore(layout: layout)
    let (first, second) = (layer.adapters[0], layer.adapters[1])
    #expect(first.scaling.scale == 4 / 2.0.squareRoot() && second.scaling.scale == 0.5)
    let (w1, w2, bias) = (samples(16, seed: 1), samples(12, seed: 2), samples(6, seed: 3))
    let (a1, b1, a2, b2) = (samples(14, seed: 4), samples(12, seed: 5), samples(7, seed: 6), samples(6, seed: 7))
    for (id, values) in [(base.w1, w1), (base.w2, w2), (base.bias!, bias), (first.a, a1), (first.b, b1), (second.a, a2), (second.b, b2)] {
      store.set(id, values)
    }
    let (x, dy) = (samples(rows * input, seed: 8), samples(rows * output, seed: 9))
    let reference = { (x: [Double], a1: [Double], b1: [Double], a2: [Double], b2: [Double]) -> [Double] in
      let withFirst = { (x: [Double]) in
        referenceLoRA(
          x, a1, b1, rows: rows, input: input, output: output, rank: rank, scale: first.scaling.scale, dropout: nil,
          step: step
        ) { referenceMonarch($0, w1, w2, bias, rows: rows, layout: monarch) }
      }
      return referenceLoRA(
        x, a2, b2, rows: rows, input: input, output: output, rank: 1, scale: 0.5, dropout: second.dropout, step: step,
        base: withFirst)
    }
    let m = Matrices()
    let (xv, yv, dyv, dxv) = (m.make(rows, input, x), m.make(rows, output), m.make(rows, output, dy), m.make(rows, input))
    let workspace = Workspace()
    layer.forward(xv.readOnly, into: yv, parameters: store, workspace: workspace, dropoutStep: step)
    expectClose(yv.elements, reference(x, a1, b1, a2, b2), tolerance: 1e-6, "y")
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .overwrite(dxv), parameters: store,
      workspace: workspace, dropoutStep: step)
    let loss = { (x: [Double], a1: [Double], b1: [Double], a2: [Double], b2: [Double]) in
      weightedSum(reference(x, a1, b1, a2, b2), dy)
    }
    expectClose(dxv.elements, finiteDifferenceGradient(of: { loss($0, a1, b1, a2, b2) }, at: x), tolerance: 1e-6, "dx")
    expectClose(store.gradient(first.a), finiteDifferenceGradient(of: { loss(x, $0, b1, a2, b2) }, at: a1), tolerance: 1e-6, "dA1")
    expectClose(store.gradient(first.b), finiteDifferenceGradient(of: { loss(x, a1, $0, a2, b2) }, at: b1), tolerance: 1e-6, "dB1")
    expectClose(store.gradient(second.a), finiteDifferenceGradient(of: { loss(x, a1, b1, $0, b2) }, at: a2), tolerance: 1e-6, "dA2")
    expectClose(store.gradient(second.b), finiteDifferenceGradient(of: { loss(x, a1, b1, a2, $0) }, at: b2), tolerance: 1e-6, "dB2")

    #expect(layer.denseWeight == nil)
    #expect(throws: LoRAError.self) { try layer.merge(adapter: "default", in: store) }
    do {
      try layer.merge(adapter: "default", in: store)
    } catch {
      guard case .mergeUnsupported(let module, _) = error else { Issue.record("unexpected \(error)"); return }
      #expect(module == "fc")
    }
    #expect(store.doubles(base.w1) == w1 && store.doubles(base.w2) == w2, "a refused merge changes nothing")
  }

  @Test func zeroBGivesExactlyTheBaseOutput() throws {
    let (layer, base, store) = try denseLayer()
    store.fill(layer.adapters[0].b, with: 0)
    let m = Matrices()
    let (xv, yv, baseOutput) = (m.make(rows, input, samples(rows * input, seed: 12)), m.make(rows, output), m.make(rows, output))
    layer.forward(xv.readOnly, into: yv, parameters: store, workspace: Workspace(), dropoutStep: step)
    base.forward(xv.readOnly, into: baseOutput, parameters: store)
    #expect(yv.elements == baseOutput.elements)
  }

  @Test func defaultInitializationIsKaimingUniformAAndZeroB() throws {
    let (layer, _, store) = try denseLayer()
    var generator = SeededGenerator(seed: 1)
    layer.initialize(store, using: &generator)
    let adapter = layer.adapters[0]
    let bound = 1 / Float(input).squareRoot()
    #expect(store.values(adapter.a).allSatisfy { abs($0) <= bound } && Set(store.values(adapter.a)).count == rank * input)
    #expect(store.values(adapter.b).allSatisfy { $0 == 0 })
  }

  @Test func mergeMatchesTheAdapterAndUnmergeRestoresTheWeight() throws {
    let (layer, base, store) = try denseLayer(dropout: 0)
    let original = store.doubles(base.weight)
    let m = Matrices()
    let xv = m.make(rows, input, samples(rows * input, seed: 13))
    let (adapted, merged) = (m.make(rows, output), m.make(rows, output))
    let workspace = Workspace()
    layer.forward(xv.readOnly, into: adapted, parameters: store, workspace: workspace, dropoutStep: nil)
    try layer.merge(adapter: "default", in: store)
    #expect(layer.adapters[0].isMerged)
    #expect(throws: LoRAError.adapterAlreadyMerged(module: "fc", adapter: "default")) {
      try layer.merge(adapter: "default", in: store)
    }
    // W + s·B·A in Double.
    let (a, b) = (store.doubles(layer.adapters[0].a), store.doubles(layer.adapters[0].b))
    let expected = (0..<(output * input)).map { index in
      original[index] + 1.5 * (0..<rank).reduce(0.0) { $0 + b[(index / input) * rank + $1] * a[$1 * input + index % input] }
    }
    expectClose(store.values(base.weight), expected, tolerance: 1e-6, "W + sBA")
    layer.forward(xv.readOnly, into: merged, parameters: store, workspace: workspace, dropoutStep: nil)
    expectClose(merged.elements, adapted.elements.map(Double.init), tolerance: 1e-6, "merged forward")
    try layer.unmerge(adapter: "default", in: store)
    #expect(!layer.adapters[0].isMerged)
    expectClose(store.values(base.weight), original, tolerance: 1e-6, "unmerged W")
    #expect(throws: LoRAError.adapterNotMerged(module: "fc", adapter: "default")) {
      try layer.unmerge(adapter: "default", in: store)
    }
    #expect(throws: LoRAError.unknownAdapter(module: "fc", adapter: "other")) { try layer.merge(adapter: "other", in: store) }
  }

  @Test func frozenBaseGetsNoGradientAndDisabledAdapterDoesNotRun() throws {
    let (layer, base, store) = try denseLayer()
    #expect(store.setTrainable(false) { !$0.contains(".lora_") } == 2)
    let m = Matrices()
    let (xv, dyv) = (m.make(rows, input, samples(rows * input, seed: 14)), m.make(rows, output, samples(rows * output, seed: 15)))
    layer.backward(
      input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: nil, parameters: store, workspace: Workspace(),
      dropoutStep: step)
    #expect(store.gradient(base.weight).allSatisfy { $0 == 0 } && store.gradient(base.bias!).allSatisfy { $0 == 0 })
    #expect(store.gradient(layer.adapters[0].a).contains { $0 != 0 } && store.gradient(layer.adapters[0].b).contains { $0 != 0 })

    layer.adapters[0].setEnabled(false)
    let (yv, baseOutput) = (m.make(rows, output), m.make(rows, output))
    layer.forward(xv.readOnly, into: yv, parameters: store, workspace: Workspace(), dropoutStep: step)
    base.forward(xv.readOnly, into: baseOutput, parameters: store)
    #expect(yv.elements == baseOutput.elements)
  }

  @Test func factorsReadAndWriteTheAdapterSlots() throws {
    let (layer, base, store) = try denseLayer()
    #expect(layer.denseWeight == base.weight)
    let a = Tensor<Float>(shape: [rank, input], scalars: (0..<(rank * input)).map { Float($0) })
    let b = Tensor<Float>(shape: [output, rank], scalars: (0..<(output * rank)).map { -Float($0) })
    try layer.setFactors(try LoRAFactors(a: a, b: b), adapter: "default", in: store)
    #expect(Array(store.values(layer.adapters[0].a)) == a.scalars && Array(store.values(layer.adapters[0].b)) == b.scalars)
    #expect(try layer.factors(adapter: "default", in: store) == LoRAFactors(a: a, b: b, module: "fc"))
    let wide = Tensor<Float>(shape: [3, input], scalars: Array(repeating: 1, count: 3 * input))
    let tall = Tensor<Float>(shape: [output, 3], scalars: Array(repeating: 1, count: 3 * output))
    #expect(throws: LoRAError.shapeMismatch(module: "fc", expected: [output, input], a: [3, input], b: [output, 3])) {
      try layer.setFactors(try LoRAFactors(a: wide, b: tall), adapter: "default", in: store)
    }
    #expect(Array(store.values(layer.adapters[0].a)) == a.scalars, "nothing written")
    #expect(throws: LoRAError.unknownAdapter(module: "fc", adapter: "x")) { try layer.factors(adapter: "x", in: store) }
  }

  @Test func badAdaptersAreRefusedByName() throws {
    var layout = ParameterLayout()
    let base = try Linear("fc", inputFeatures: 5, outputFeatures: 3, layout: &layout)
    var layer = LoRALinearLayer("fc", base: base)
    #expect(throws: LoRAError.invalidRank(module: "fc", rank: 4, maximum: 3)) {
      try layer.addAdapter("default", scaling: try LoRAScaling(rank: 4, alpha: 8), layout: &layout)
    }
    #expect(throws: LoRAError.invalidAdapterName("a.b")) {
      try layer.addAdapter("a.b", scaling: try LoRAScaling(rank: 1, alpha: 8), layout: &layout)
    }
    #expect(throws: LoRAError.invalidDropout(adapter: "default", probability: 1)) {
      try layer.addAdapter("default", scaling: try LoRAScaling(rank: 1, alpha: 8), dropout: 1, layout: &layout)
    }
    try layer.addAdapter("default", scaling: try LoRAScaling(rank: 3, alpha: 8), layout: &layout)
    #expect(throws: LoRAError.duplicateAdapter(module: "fc", adapter: "default")) {
      try layer.addAdapter("default", scaling: try LoRAScaling(rank: 1, alpha: 8), layout: &layout)
    }
  }
}
