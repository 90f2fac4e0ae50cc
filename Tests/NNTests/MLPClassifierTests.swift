import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// A batch of `rows` normal feature rows with the given targets.
private func featureBatch(rows: Int, features: Int, targets: [Int32], seed: UInt64) -> Batch {
  Batch(inputs: .features(Tensor(shape: [rows, features], scalars: samples(rows * features, seed: seed).map(Float.init))), targets: targets)
}

@Suite("MLPClassifier: gradients, predictions and learning")
struct MLPClassifierTests {
  // GELU only: central differences straddle ReLU's kink (ReLU's derivative is checked on its own).
  @Test(arguments: [LinearLayerKind.dense, .monarch(blocks: 2)])
  func everyParameterGradientMatchesFiniteDifferences(kind: LinearLayerKind) throws {
    let activation = MLPConfiguration.Activation.gelu
    let configuration = MLPConfiguration(
      inputFeatures: 6, hiddenFeatures: [8, 4], classes: 3, activation: activation, hiddenLayers: kind, outputLayer: kind)
    let model = try MLPClassifier(configuration: configuration)
    var generator = SeededGenerator(seed: 3)
    model.initialize(using: &generator)
    let batch = featureBatch(rows: 5, features: 6, targets: [0, 2, 1, -100, 2], seed: 4)
    let workspace = Workspace()
    let store = model.parameters
    store.zeroGradients()
    let result = try model.loss(on: batch, pass: .training(step: 0, gradientScale: 1), workspace: workspace)
    #expect(result.countedTargets == 4)
    let analytic = Array(UnsafeBufferPointer(start: store.gradients, count: store.layout.elementCount))
    func loss() throws -> Double {
      workspace.reset()
      return try model.loss(on: batch, pass: .evaluation, workspace: workspace).loss
    }
    for slot in store.slots {
      for i in stride(from: 0, to: slot.count, by: max(1, slot.count / 6)) {
        let pointer = store.values + slot.offset + i
        let original = pointer.pointee
        let h: Float = 1e-2
        pointer.pointee = original + h
        let plus = try loss()
        pointer.pointee = original - h
        let minus = try loss()
        pointer.pointee = original
        let numeric = (plus - minus) / Double(2 * h)
        let value = Double(analytic[slot.offset + i])
        #expect(abs(numeric - value) < 2e-3 + 2e-2 * abs(numeric), "\(kind) \(slot.name)[\(i)]: \(value) vs \(numeric)")
      }
    }
  }

  @Test func reluNetworkGradientsMatchADoubleReferenceAndItsFiniteDifferences() throws {
    // 5 → 7 → 3 with ReLU: the reference is the same network in Double, differentiated by central differences
    // with a step far below the distance of any preactivation to ReLU's kink.
    let (rows, input, hidden, classes) = (4, 5, 7, 3)
    let model = try MLPClassifier(
      configuration: MLPConfiguration(inputFeatures: input, hiddenFeatures: [hidden], classes: classes, activation: .relu))
    var generator = SeededGenerator(seed: 12)
    model.initialize(using: &generator)
    let store = model.parameters
    let x = samples(rows * input, seed: 13)
    let targets: [Int32] = [2, 0, 1, 2]
    let names = ["hidden.0.weight", "hidden.0.bias", "output.weight", "output.bias"]
    var parameters: [Double] = []
    for name in names { parameters += try store.tensor(named: name).scalars.map(Double.init) }
    let sizes = [hidden * input, hidden, classes * hidden, classes]
    func referenceLoss(_ p: [Double]) -> Double {
      let w1 = Array(p[0..<sizes[0]]), b1 = Array(p[sizes[0]..<(sizes[0] + sizes[1])])
      let w2Start = sizes[0] + sizes[1]
      let w2 = Array(p[w2Start..<(w2Start + sizes[2])]), b2 = Array(p[(w2Start + sizes[2])...])
      var total = 0.0
      for r in 0..<rows {
        let h = (0..<hidden).map { j in max(0, b1[j] + (0..<input).reduce(0.0) { $0 + w1[j * input + $1] * x[r * input + $1] }) }
        let z = (0..<classes).map { c in b2[c] + (0..<hidden).reduce(0.0) { $0 + w2[c * hidden + $1] * h[$1] } }
        let m = z.max()!
        total += m + Foundation.log(z.reduce(0.0) { $0 + Foundation.exp($1 - m) }) - z[Int(targets[r])]
      }
      return total / Double(rows)
    }
    let batch = Batch(inputs: .features(Tensor(shape: [rows, input], scalars: x.map(Float.init))), targets: targets)
    store.zeroGradients()
    let result = try model.loss(on: batch, pass: .training(step: 0, gradientScale: 1), workspace: Workspace())
    #expect(abs(result.loss - referenceLoss(parameters)) < 1e-6)
    var analytic: [Float] = []
    for name in names { analytic += try store.gradientTensor(named: name).scalars }
    expectClose(analytic, finiteDifferenceGradient(of: referenceLoss, at: parameters), tolerance: 1e-5, "ReLU MLP gradient")
  }

  @Test func correctPredictionsCountTheArgmaxOverCountedTargets() throws {
    // No hidden layer: logits = x Wᵀ + b, whose argmax is computed here by hand.
    let model = try MLPClassifier(configuration: MLPConfiguration(inputFeatures: 4, hiddenFeatures: [], classes: 5))
    var generator = SeededGenerator(seed: 7)
    model.initialize(using: &generator)
    let store = model.parameters
    let w = try store.tensor(named: "output.weight").scalars.map(Double.init)
    let b = try store.tensor(named: "output.bias").scalars.map(Double.init)
    let x = samples(40, seed: 8)
    var predicted: [Int32] = []
    for row in 0..<10 {
      let logits = (0..<5).map { c in b[c] + (0..<4).reduce(0.0) { $0 + w[c * 4 + $1] * x[row * 4 + $1] } }
      predicted.append(Int32(logits.indices.max { logits[$0] < logits[$1] }!))
    }
    // Targets: the prediction for even rows, another class for odd rows, one ignored row.
    var targets = predicted.enumerated().map { $0.offset % 2 == 0 ? $0.element : ($0.element + 1) % 5 }
    targets[4] = -100
    let batch = Batch(inputs: .features(Tensor(shape: [10, 4], scalars: x.map(Float.init))), targets: targets)
    let result = try model.loss(on: batch, pass: .evaluation, workspace: Workspace())
    #expect(result.countedTargets == 9)
    #expect(result.correctPredictions == 4)

    #expect(throws: TrainingError.self) {
      try model.loss(on: Batch(inputs: .features(Tensor(shape: [2, 3], scalars: [Float](repeating: 0, count: 6))), targets: [0, 1]), pass: .evaluation, workspace: Workspace())
    }
    #expect(throws: TrainingError.self) {
      try model.loss(on: Batch(inputs: .tokens([1, 2], sequences: 1), targets: [0, 1]), pass: .evaluation, workspace: Workspace())
    }
  }

  @Test func monarchBlocksThatDoNotFitAreRefusedNamingTheLayer() throws {
    let configuration = MLPConfiguration(inputFeatures: 8, hiddenFeatures: [3], classes: 2, hiddenLayers: .monarch(blocks: 4))
    #expect {
      _ = try MLPClassifier(configuration: configuration)
    } throws: { error in
      guard case TrainingError.invalidMonarchLayout(let layer, _) = error else { return false }
      return layer == "hidden.0"
    }
  }
}
