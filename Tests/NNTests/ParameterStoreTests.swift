import NN
import TensorCore
import TestSupport
import Testing

@Suite("ParameterStore: layout, names, flags and passes")
struct ParameterStoreTests {
  @Test func slotsAreAlignedAndAddressedByName() throws {
    var layout = ParameterLayout()
    let a = try layout.declare("blocks.0.mlp.fc1.weight", shape: [3, 5], group: .decayed)
    let b = try layout.declare("blocks.0.mlp.fc1.bias", shape: [3], group: .undecayed)
    let store = try ParameterStore(layout: layout)
    #expect(store[a].offset == 0 && store[b].offset == 16 && layout.elementCount == 32)
    for buffer in [store.values, store.gradients, store.firstMoments, store.secondMoments] {
      #expect(UInt(bitPattern: buffer) % 64 == 0)
    }
    #expect(try store.id(of: "blocks.0.mlp.fc1.bias") == b)
    try store.setValues(named: "blocks.0.mlp.fc1.bias", to: Tensor(shape: [3], scalars: [1, 2, 3]))
    #expect(try store.tensor(named: "blocks.0.mlp.fc1.bias").scalars == [1, 2, 3])
    #expect(store.parameterCount == 18)
  }

  /// A layout chosen by a configuration can ask for more than the machine holds: the store refuses it before
  /// allocating instead of being killed when its pages are touched.
  @Test func aStoreLargerThanPhysicalMemoryIsRefusedBeforeAllocating() throws {
    let available = try #require(PhysicalMemory.bytes)
    let perSlot = 46_000 * 46_000  // just under the 2³¹ elements one parameter may have
    let slots = available / 16 / perSlot + 1
    var layout = ParameterLayout()
    for i in 0..<slots { _ = try layout.declare("h.\(i).weight", shape: [46_000, 46_000], group: .decayed) }
    #expect(throws: ParameterError.tooLarge(parameters: layout.elementCount, bytes: layout.elementCount * 16, available: available)) {
      try ParameterStore(layout: layout)
    }
  }

  @Test func structuredErrors() throws {
    var layout = ParameterLayout()
    _ = try layout.declare("fc.weight", shape: [2, 2], group: .decayed)
    #expect(throws: ParameterError.duplicateName("fc.weight")) { try layout.declare("fc.weight", shape: [1], group: .decayed) }
    #expect(throws: ParameterError.invalidName("fc..bias")) { try layout.declare("fc..bias", shape: [1], group: .decayed) }
    #expect(throws: ParameterError.invalidName("")) { try layout.declare("", shape: [1], group: .decayed) }
    #expect(throws: ParameterError.invalidShape(name: "x", shape: [2, 0])) { try layout.declare("x", shape: [2, 0], group: .decayed) }
    let store = try ParameterStore(layout: layout)
    #expect(throws: ParameterError.unknownName("fc.bias")) { try store.tensor(named: "fc.bias") }
    #expect(throws: ParameterError.shapeMismatch(name: "fc.weight", expected: [2, 2], actual: [4])) {
      try store.setValues(named: "fc.weight", to: Tensor(zeros: [4]))
    }
    #expect(throws: ParameterError.duplicateName("fc.weight")) {
      var copy = layout
      _ = try Linear("fc", inputFeatures: 2, outputFeatures: 2, layout: &copy)
    }
  }

  @Test func zeroingAndClippingByGlobalNorm() throws {
    var layout = ParameterLayout()
    let a = try layout.declare("a", shape: [2], group: .decayed)
    let b = try layout.declare("b", shape: [1], group: .decayed)
    let frozen = try layout.declare("frozen", shape: [1], group: .decayed)
    let store = try ParameterStore(layout: layout)
    store.gradient(a)[0] = 3
    store.gradient(b)[0] = 4
    store.gradient(frozen)[0] = 100
    store.setTrainable(false) { $0 == "frozen" }
    #expect(store.gradientNorm() == 5)
    #expect(store.clipGradients(maxNorm: 1) == 5)
    let factor = Float(1 / (5 + 1e-6))
    #expect(Array(store.gradient(a)) == [3 * factor, 0] && store.gradient(b)[0] == 4 * factor)
    #expect(store.gradient(frozen)[0] == 100, "frozen parameters are not clipped")
    #expect(store.clipGradients(maxNorm: 10) < 1.0001, "a norm below the bound leaves gradients alone")
    store.zeroGradients()
    #expect(store.gradient(a).allSatisfy { $0 == 0 } && store.gradient(frozen)[0] == 0)
  }
}

@Suite("Optimizers against hand-computed steps")
struct OptimizerTests {
  /// One decayed weight (p = 1) and one undecayed bias (p = −2), gradients 0.5 then −0.25.
  private func twoSteps(_ update: (ParameterStore) -> Void) throws -> (weight: Float, bias: Float, store: ParameterStore) {
    var layout = ParameterLayout()
    let w = try layout.declare("w", shape: [1], group: .decayed)
    let b = try layout.declare("b", shape: [1], group: .undecayed)
    let frozen = try layout.declare("frozen", shape: [1], group: .decayed)
    let store = try ParameterStore(layout: layout)
    store.values(w)[0] = 1
    store.values(b)[0] = -2
    store.values(frozen)[0] = 7
    store.setTrainable(false) { $0 == "frozen" }
    for g: Float in [0.5, -0.25] {
      store.gradient(w)[0] = g
      store.gradient(b)[0] = g
      store.gradient(frozen)[0] = g
      update(store)
    }
    #expect(store.values(frozen)[0] == 7, "a frozen parameter does not move")
    return (store.values(w)[0], store.values(b)[0], store)
  }

  @Test func adamWTwoSteps() throws {
    // lr 0.1, wd 0.01, β = (0.9, 0.999), eps 1e-8. Step 1: p = 1·(1 − 0.001) = 0.999; m = 0.05, v = 0.00025;
    // m̂ = 0.5, v̂ = 0.25; p = 0.999 − 0.1·0.5/(0.5 + 1e-8) = 0.899000002. Step 2: p = 0.899000002·0.999
    // = 0.898101002; m = 0.02, v = 0.00031225; m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999;
    // p = 0.898101002 − 0.1·0.105263158/(0.395225382 + 1e-8) = 0.871467299.
    // The bias has no decay: −2 − 0.099999998 − 0.026633703 = −2.126633701.
    var optimizer = try AdamW(groups: GroupTable(learningRate: 0.1, weightDecay: 0.01))
    let (weight, bias, store) = try twoSteps { optimizer.update($0) }
    #expect(abs(Double(weight) - 0.8714672987) < 1e-6, "weight \(weight)")
    #expect(abs(Double(bias) - -2.1266337013) < 1e-6, "bias \(bias)")
    #expect(optimizer.step == 2)
    #expect(abs(store.firstMoments[0] - 0.02) < 1e-8 && abs(store.secondMoments[0] / 0.00031225 - 1) < 1e-6)
  }

  @Test func sgdWithMomentumTwoSteps() throws {
    // lr 0.1, wd 0.01 (coupled), μ 0.9. Step 1: g = 0.5 + 0.01 = 0.51, b = 0.51, p = 0.949.
    // Step 2: g = −0.25 + 0.00949 = −0.24051, b = 0.9·0.51 − 0.24051 = 0.21849, p = 0.927151.
    var optimizer = try SGD(groups: GroupTable(learningRate: 0.1, weightDecay: 0.01), momentum: 0.9)
    let (weight, bias, _) = try twoSteps { optimizer.update($0) }
    #expect(abs(weight - 0.927151) < 1e-6, "weight \(weight)")
    // Bias, no decay: b = 0.5 then 0.45 − 0.25 = 0.2; p = −2 − 0.05 − 0.02 = −2.07.
    #expect(abs(bias - -2.07) < 1e-6, "bias \(bias)")
  }

  @Test func perGroupLearningRatesAndScheduleFactor() throws {
    let groups = GroupTable(
      learningRate: 0.1, weightDecay: 0,
      overrides: [.undecayed: GroupHyperparameters(learningRate: 0.01, weightDecay: 0)])
    var optimizer = try SGD(groups: groups)
    var layout = ParameterLayout()
    let w = try layout.declare("w", shape: [1], group: .decayed)
    let b = try layout.declare("b", shape: [1], group: .undecayed)
    let store = try ParameterStore(layout: layout)
    store.gradient(w)[0] = 1
    store.gradient(b)[0] = 1
    optimizer.update(store, learningRateFactor: 0.5)
    #expect(store.values(w)[0] == -0.05 && store.values(b)[0] == -0.005)
    #expect(throws: TrainingError.invalidValue(layer: "AdamW", name: "beta2", value: 1)) {
      try AdamW(beta2: 1)
    }
  }

  @Test func warmupCosineSchedule() throws {
    let schedule = try WarmupCosineSchedule(warmupSteps: 4, totalSteps: 14, minimumFactor: 0.1)
    #expect(schedule.factor(atStep: 0) == 0.25 && schedule.factor(atStep: 3) == 1)
    #expect(schedule.factor(atStep: 4) == 1)
    #expect(abs(schedule.factor(atStep: 9) - 0.55) < 1e-6)  // halfway: 0.1 + 0.9·0.5
    #expect(schedule.factor(atStep: 14) == 0.1 && schedule.factor(atStep: 100) == 0.1)
    #expect(throws: TrainingError.self) { try WarmupCosineSchedule(warmupSteps: 5, totalSteps: 4) }
  }

  @Test func gradientAccumulationOverMicroBatchesEqualsTheFullBatch() throws {
    var layout = ParameterLayout()
    let linear = try Linear("head", inputFeatures: 3, outputFeatures: 4, layout: &layout)
    let store = try ParameterStore(layout: layout)
    var generator = SeededGenerator(seed: 1)
    linear.initialize(store, using: &generator)
    let m = Matrices()
    let x = m.make(6, 3, samples(18, seed: 2))
    let targets: [Int32] = [0, 3, 1, 1, 2, 0]
    let workspace = Workspace()
    func gradientStep(_ rows: Range<Int>, scale: Float) throws {
      let logits = m.make(rows.count, 4)
      linear.forward(x.readOnly.rows(rows), into: logits, parameters: store)
      _ = try targets[rows].withUnsafeBufferPointer {
        try CrossEntropy().evaluate(
          logits: logits.readOnly, targets: $0, logitsGradient: logits, gradientScale: scale, workspace: workspace)
      }
      linear.backward(input: x.readOnly.rows(rows), outputGradient: logits.readOnly, inputGradient: nil, parameters: store)
    }
    try gradientStep(0..<6, scale: 1)
    let full = Array(store.gradient(linear.weight)) + Array(store.gradient(linear.bias!))
    store.zeroGradients()
    try gradientStep(0..<3, scale: 0.5)
    try gradientStep(3..<6, scale: 0.5)
    let accumulated = Array(store.gradient(linear.weight)) + Array(store.gradient(linear.bias!))
    expectClose(accumulated, full.map(Double.init), tolerance: 1e-6, "accumulated")
  }
}
