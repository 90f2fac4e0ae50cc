import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// The Transformer LM against the PyTorch model of `Fixtures/generate_transformer.py` (same architecture,
/// names and layouts), from the same float32 weights and tokens: the reference ran in float64.
@Suite("Transformer LM against PyTorch")
struct LanguageModelParityTests {
  @Test func logitsLossEveryGradientAndThreeAdamWStepsMatchPyTorch() throws {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/transformer_parity", withExtension: "safetensors"))
    let file = try SafetensorsFile(contentsOf: url)
    func doubles(_ name: String) throws -> [Double] { try file.tensorData(named: name).tensor(as: Double.self).scalars }
    let model = try LanguageModel(.transformer(vocabularySize: 11, contextLength: 8, width: 16, layers: 2, heads: 2))
    let store = model.parameters
    let fixtureNames = Set(file.names.filter { $0.hasPrefix("weights.") }.map { String($0.dropFirst("weights.".count)) })
    #expect(fixtureNames == Set(store.slots.map(\.name)), "PyTorch's parameter names differ from the model's")
    for slot in store.slots {
      try store.setValues(named: slot.name, to: try file.tensorData(named: "weights.\(slot.name)").tensor(as: Float.self))
    }
    let tokens = try doubles("tokens").map { Int32($0) }
    let targets = try doubles("targets").map { Int32($0) }
    let batch = Batch(inputs: .tokens(tokens, sequences: 2), targets: targets)

    expectClose(try model.logits(for: tokens, sequences: 2).scalars, try doubles("logits"), tolerance: 1e-5, "logits")
    let workspace = Workspace()
    store.zeroGradients()
    let result = try model.loss(on: batch, pass: .training(step: 0, gradientScale: 1), workspace: workspace)
    let loss = try doubles("loss")[0]
    #expect(abs(result.loss - loss) <= 1e-5 * loss, "loss \(result.loss) vs PyTorch \(loss)")
    #expect(result.countedTargets == 15)
    for slot in store.slots {
      expectClose(store.gradient(try store.id(of: slot.name)), try doubles("gradients.\(slot.name)"), tolerance: 1e-5, "∂\(slot.name)")
    }

    // torch.optim.AdamW with weight decay 0.1 on the linear weights and none elsewhere, on the same batch.
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
    // The keys' bias has gradient 0 exactly (it adds one constant to every score of a row, which softmax
    // ignores), so both sides' rounding noise decides the sign of its AdamW steps: those elements can only
    // be checked to have moved at most one learning rate per step.
    let width = 16
    for slot in store.slots {
      var actual = Array(store.values(try store.id(of: slot.name)))
      var reference = try doubles("adamw3.\(slot.name)")
      if slot.name.hasSuffix("attn.c_attn.bias") {
        let start = try doubles("weights.\(slot.name)")
        for i in width..<2 * width {
          #expect(abs(Double(actual[i]) - start[i]) <= 3e-3 * (1 + 1e-6), "\(slot.name)[\(i)] moved too far")
          (actual[i], reference[i]) = (0, 0)
        }
      }
      expectClose(actual, reference, tolerance: 1e-5, "\(slot.name) after 3 steps")
    }
  }
}
