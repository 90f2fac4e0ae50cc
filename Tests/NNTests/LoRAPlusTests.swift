import NN
import TensorCore
import Testing

@Suite("LoRA+ parameter groups")
struct LoRAPlusTests {
  @Test func bAndOneDimensionalParametersLearnRatioTimesFaster() throws {
    let model = try MLPClassifier(
      configuration: MLPConfiguration(inputFeatures: 6, hiddenFeatures: [5], classes: 3),
      adapters: [LoRAConfiguration(rank: 2, targets: .modules(["hidden.0", "output"]))])
    let store = model.parameters
    // A trainable bias joins B's rate (PEFT groups every trainable 1-D parameter with B).
    #expect(store.setTrainable(true) { $0 == "output.bias" } == 1)
    var generator = SeededGenerator(seed: 1)
    model.initialize(using: &generator)
    for layer in model.loraLayers {
      let b = store.values(layer.adapters[0].b)
      for i in b.indices { b[i] = Float(generator.nextNormal()) }
    }
    let table = try LoRAPlus.groupTable(assigningGroupsIn: store, learningRate: 1e-3, ratio: 16, weightDecay: 0.1)
    let groups = Dictionary(uniqueKeysWithValues: store.slots.map { ($0.name, $0.group) })
    #expect(groups["hidden.0.lora_A.default.weight"] == LoRAPlus.a && groups["output.lora_A.default.weight"] == LoRAPlus.a)
    #expect(groups["hidden.0.lora_B.default.weight"] == LoRAPlus.b && groups["output.lora_B.default.weight"] == LoRAPlus.b)
    #expect(groups["output.bias"] == LoRAPlus.undecayedB)
    #expect(groups["hidden.0.weight"] == .decayed && groups["hidden.0.bias"] == .undecayed, "frozen slots keep theirs")
    #expect(table[LoRAPlus.a] == GroupHyperparameters(learningRate: 1e-3, weightDecay: 0.1))
    #expect(table[LoRAPlus.b] == GroupHyperparameters(learningRate: 16e-3, weightDecay: 0.1))
    #expect(table[LoRAPlus.undecayedB] == GroupHyperparameters(learningRate: 16e-3, weightDecay: 0))

    // AdamW's first step moves each parameter by its group's rate times g/(|g| + eps): ±lr where |g| ≫ eps.
    let features = Tensor<Float>(shape: [4, 6], scalars: samples(24, seed: 2).map(Float.init))
    let batch = Batch(inputs: .features(features), targets: [0, 1, 2, 1])
    store.zeroGradients()
    _ = try model.loss(on: batch, pass: .training(step: 0, gradientScale: 1), workspace: Workspace())
    let before = Dictionary(uniqueKeysWithValues: store.slots.map { ($0.name, Array(store.values(try! store.id(of: $0.name)))) })
    var optimizer = try AdamW(groups: try LoRAPlus.groupTable(assigningGroupsIn: store, learningRate: 1e-3))
    optimizer.update(store)
    func steps(_ name: String) throws -> [Double] {
      let id = try store.id(of: name)
      return zip(store.values(id), before[name]!).enumerated().compactMap { index, pair in
        abs(store.gradient(id)[index]) < 1e-4 ? nil : Double(abs(pair.0 - pair.1))
      }
    }
    for (name, rate) in [
      ("hidden.0.lora_A.default.weight", 1e-3), ("output.lora_A.default.weight", 1e-3),
      ("hidden.0.lora_B.default.weight", 16e-3), ("output.lora_B.default.weight", 16e-3), ("output.bias", 16e-3),
    ] {
      let moved = try steps(name)
      #expect(!moved.isEmpty, "\(name) has a gradient")
      #expect(moved.allSatisfy { abs($0 - rate) <= 1e-3 * rate + 1e-9 }, "\(name): \(moved.prefix(3)) vs \(rate)")
    }
    #expect(try store.tensor(named: "hidden.0.weight").scalars == before["hidden.0.weight"]!, "frozen")
  }

  @Test func ratioMustBeFiniteAndPositive() throws {
    let store = try MLPClassifier(configuration: MLPConfiguration(inputFeatures: 2, hiddenFeatures: [], classes: 2)).parameters
    #expect(throws: LoRAError.invalidLearningRateRatio(0)) {
      try LoRAPlus.groupTable(assigningGroupsIn: store, learningRate: 1e-3, ratio: 0)
    }
    #expect(throws: LoRAError.self) { try LoRAPlus.groupTable(assigningGroupsIn: store, learningRate: 1e-3, ratio: .nan) }
  }
}
