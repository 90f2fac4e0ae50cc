import NN
import TensorCore
import TestSupport
import Testing

/// `y = x Wᵀ + b` in Double, the naive reference.
private func referenceLinear(_ x: [Double], _ w: [Double], _ b: [Double]?, rows: Int, input: Int, output: Int) -> [Double] {
  var y = [Double](repeating: 0, count: rows * output)
  for i in 0..<rows {
    for o in 0..<output {
      var sum = b?[o] ?? 0
      for k in 0..<input { sum += x[i * input + k] * w[o * input + k] }
      y[i * output + o] = sum
    }
  }
  return y
}

@Suite("Linear and Embedding against naive references and finite differences")
struct DenseLayerTests {
  let rows = 5
  let input = 4
  let output = 3

  @Test func linearForwardAndEveryGradient() throws {
    var layout = ParameterLayout()
    let layer = try Linear("fc", inputFeatures: input, outputFeatures: output, layout: &layout)
    let store = try ParameterStore(layout: layout)
    let (x, w, b, dy) = (
      samples(rows * input, seed: 1), samples(output * input, seed: 2), samples(output, seed: 3),
      samples(rows * output, seed: 4)
    )
    store.set(layer.weight, w)
    store.set(layer.bias!, b)
    let m = Matrices()
    let (xv, yv, dyv, dxv) = (m.make(rows, input, x), m.make(rows, output), m.make(rows, output, dy), m.make(rows, input))
    layer.forward(xv.readOnly, into: yv, parameters: store)
    expectClose(yv.elements, referenceLinear(x, w, b, rows: rows, input: input, output: output), tolerance: 1e-6, "y")
    layer.backward(input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .overwrite(dxv), parameters: store)
    let loss = { (x: [Double], w: [Double], b: [Double]) in
      weightedSum(referenceLinear(x, w, b, rows: self.rows, input: self.input, output: self.output), dy)
    }
    expectClose(dxv.elements, finiteDifferenceGradient(of: { loss($0, w, b) }, at: x), tolerance: 1e-6, "dx")
    expectClose(store.gradient(layer.weight), finiteDifferenceGradient(of: { loss(x, $0, b) }, at: w), tolerance: 1e-6, "dW")
    expectClose(store.gradient(layer.bias!), finiteDifferenceGradient(of: { loss(x, w, $0) }, at: b), tolerance: 1e-6, "db")

    // A second backward accumulates: parameter gradients double, an accumulated input gradient doubles.
    layer.backward(input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: .accumulate(dxv), parameters: store)
    expectClose(
      store.gradient(layer.weight), finiteDifferenceGradient(of: { 2 * loss(x, $0, b) }, at: w), tolerance: 1e-6, "2 dW")
    expectClose(dxv.elements, finiteDifferenceGradient(of: { 2 * loss($0, w, b) }, at: x), tolerance: 1e-6, "2 dx")
  }

  @Test func frozenWeightGetsNoGradientUnlessAsked() throws {
    var layout = ParameterLayout()
    let layer = try Linear("base", inputFeatures: input, outputFeatures: output, bias: false, layout: &layout)
    let store = try ParameterStore(layout: layout)
    store.set(layer.weight, samples(output * input, seed: 5))
    let m = Matrices()
    let (xv, dyv) = (m.make(rows, input, samples(rows * input, seed: 6)), m.make(rows, output, samples(rows * output, seed: 7)))
    #expect(store.setTrainable(false) { $0.hasPrefix("base.") } == 1)
    layer.backward(input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: nil, parameters: store)
    #expect(store.gradient(layer.weight).allSatisfy { $0 == 0 })
    // LoRA-GA: a frozen weight whose gradient is wanted.
    store.setNeedsGradient(true, for: layer.weight)
    #expect(!store[layer.weight].trainable && store[layer.weight].needsGradient)
    layer.backward(input: xv.readOnly, outputGradient: dyv.readOnly, inputGradient: nil, parameters: store)
    #expect(store.gradient(layer.weight).contains { $0 != 0 })
  }

  @Test func embeddingLookupScatterAndTiedHead() throws {
    let (vocabulary, features) = (6, 3)
    var layout = ParameterLayout()
    let embedding = try Embedding("wte", vocabularySize: vocabulary, features: features, layout: &layout)
    let store = try ParameterStore(layout: layout)
    let table = samples(vocabulary * features, seed: 8)
    store.set(embedding.weight, table)
    let tokens: [Int32] = [4, 1, 4, 0]
    let m = Matrices()
    let out = m.make(tokens.count, features)
    try tokens.withUnsafeBufferPointer { try embedding.forward($0, into: out, parameters: store) }
    #expect(out.elements == tokens.flatMap { t in (0..<features).map { Float(table[Int(t) * features + $0]) } })

    let dy = samples(tokens.count * features, seed: 9)
    tokens.withUnsafeBufferPointer {
      embedding.backward($0, outputGradient: m.make(tokens.count, features, dy).readOnly, parameters: store)
    }
    var expected = [Double](repeating: 0, count: vocabulary * features)
    for (i, t) in tokens.enumerated() { for j in 0..<features { expected[Int(t) * features + j] += dy[i * features + j] } }
    expectClose(store.gradient(embedding.weight), expected, tolerance: 1e-7, "scatter")

    // The tied head `logits = h Wᵀ` accumulates into the same gradient.
    store.zeroGradients()
    let h = samples(2 * features, seed: 10)
    let dl = samples(2 * vocabulary, seed: 11)
    let (hv, lv, dhv) = (m.make(2, features, h), m.make(2, vocabulary), m.make(2, features))
    embedding.outputLogits(hv.readOnly, into: lv, parameters: store)
    expectClose(lv.elements, referenceLinear(h, table, nil, rows: 2, input: features, output: vocabulary), tolerance: 1e-6, "logits")
    embedding.outputLogitsBackward(
      hidden: hv.readOnly, logitsGradient: m.make(2, vocabulary, dl).readOnly, hiddenGradient: .overwrite(dhv),
      parameters: store)
    let loss = { (h: [Double], w: [Double]) in weightedSum(referenceLinear(h, w, nil, rows: 2, input: features, output: vocabulary), dl) }
    expectClose(dhv.elements, finiteDifferenceGradient(of: { loss($0, table) }, at: h), tolerance: 1e-6, "dh")
    expectClose(store.gradient(embedding.weight), finiteDifferenceGradient(of: { loss(h, $0) }, at: table), tolerance: 1e-6, "dW")

    let bad: [Int32] = [2, 6]
    #expect(throws: TrainingError.tokenOutOfRange(layer: "wte", position: 1, token: 6, vocabularySize: 6)) {
      try bad.withUnsafeBufferPointer { try embedding.forward($0, into: m.make(2, features), parameters: store) }
    }
  }
}
