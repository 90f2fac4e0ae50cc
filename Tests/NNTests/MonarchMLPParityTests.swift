import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// The Monarch MLP classifier against the PyTorch model of `Fixtures/generate_monarch_mlp.py`, whose Monarch
/// layers run torch-structured's `blockdiag_butterfly_multiply`, from the same float32 weights and features
/// (the reference ran in float64). The first layer pads its input and the last truncates its output.
@Suite("Monarch MLP against torch-structured")
struct MonarchMLPParityTests {
  @Test func logitsLossEveryGradientAndThreeAdamWStepsMatchTorchStructured() throws {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/monarch_mlp_parity", withExtension: "safetensors"))
    let file = try SafetensorsFile(contentsOf: url)
    func doubles(_ name: String) throws -> [Double] { try file.tensorData(named: name).tensor(as: Double.self).scalars }
    let model = try MLPClassifier(
      configuration: MLPConfiguration(
        inputFeatures: 11, hiddenFeatures: [32, 24], classes: 7, activation: .gelu,
        hiddenLayers: .monarch(blocks: 2), outputLayer: .monarch(blocks: 4)))
    let store = model.parameters
    let fixtureNames = Set(file.names.filter { $0.hasPrefix("weights.") }.map { String($0.dropFirst("weights.".count)) })
    #expect(fixtureNames == Set(store.slots.map(\.name)), "torch-structured's parameter names differ from the model's")
    for slot in store.slots {
      try store.setValues(named: slot.name, to: try file.tensorData(named: "weights.\(slot.name)").tensor(as: Float.self))
    }
    let features = try file.tensorData(named: "features").tensor(as: Float.self)
    let classes = try doubles("classes").map { Int32($0) }
    let batch = Batch(inputs: .features(features), targets: classes)

    expectClose(try model.logits(for: features).scalars, try doubles("logits"), tolerance: 1e-5, "logits")
    let workspace = Workspace()
    store.zeroGradients()
    let result = try model.loss(on: batch, pass: .training(step: 0, gradientScale: 1), workspace: workspace)
    let loss = try doubles("loss")[0]
    #expect(abs(result.loss - loss) <= 1e-5 * loss, "loss \(result.loss) vs PyTorch \(loss)")
    for slot in store.slots {
      expectClose(store.gradient(try store.id(of: slot.name)), try doubles("gradients.\(slot.name)"), tolerance: 1e-5, "∂\(slot.name)")
    }

    // torch.optim.AdamW with weight decay 0.1 on the factors and none on the biases, on the same batch.
    var optimizer = try AdamW(
      groups: GroupTable(
        learningRate: 1e-3, weightDecay: 0,
        overrides: [.decayed: GroupHyperparameters(learningRate: 1e-3, weightDecay: 0.1)]))
    optimizer.update(store)
    for step in 1..<3 {
      workspace.reset()
      store.zeroGradients()
      _ = try model.loss(on: batch, pass: .training(step: step, gradientScale: 1), workspace: workspace)
      optimizer.update(store)
    }
    for slot in store.slots {
      expectClose(
        Array(store.values(try store.id(of: slot.name))), try doubles("adamw3.\(slot.name)"), tolerance: 1e-5,
        "\(slot.name) after 3 steps")
    }
  }
}
