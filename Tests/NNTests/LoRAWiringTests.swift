import NN
import TensorCore
import Testing

/// A Transformer small enough for a debug build: vocabulary 6, width 8, 2 heads, 2 layers, context 4.
private let tinyTransformer = LanguageModelConfiguration.transformer(
  vocabularySize: 6, contextLength: 4, width: 8, layers: 2, heads: 2)

/// Two sequences of four tokens and their next-token targets.
private func tinyBatch(seed: UInt64) -> Batch {
  var generator = SeededGenerator(seed: seed)
  let tokens = (0..<8).map { _ in Int32(generator.nextUnit() * 6) }
  let targets = (0..<8).map { _ in Int32(generator.nextUnit() * 6) }
  return Batch(inputs: .tokens(tokens, sequences: 2), targets: targets)
}

@Suite("LoRA plans wired into the models")
struct LoRAWiringTests {
  let attentionAndMLP = LoRAConfiguration(rank: 2, alpha: 4, targets: .modules(["c_attn", "mlp.c_fc", "mlp.c_proj"]))

  @Test func languageModelTrainsExactlyTheAdapters() throws {
    let plain = try LanguageModel(tinyTransformer)
    let model = try LanguageModel(tinyTransformer, adapters: [attentionAndMLP])
    // Per layer: c_attn 8 → 24 (A 2×8, B 24×2), c_fc 8 → 32 (2×8, 32×2), c_proj 32 → 8 (2×32, 8×2).
    let perLayer = (2 * 8 + 24 * 2) + (2 * 8 + 32 * 2) + (2 * 32 + 8 * 2)
    #expect(model.parameters.trainableParameterCount == 2 * perLayer)
    #expect(model.parameters.parameterCount == plain.parameters.parameterCount + 2 * perLayer)
    let names = model.parameters.slots.map(\.name)
    #expect(names.filter { !$0.contains(".lora_") } == plain.parameters.slots.map(\.name), "base names unchanged")
    #expect(model.parameters.slots.allSatisfy { $0.trainable == $0.name.contains(".lora_") })
    #expect(names.contains("transformer.h.1.attn.c_attn.lora_A.default.weight"))
    #expect(!names.contains { $0.hasPrefix("transformer.h.0.attn.c_proj.lora_") }, "mlp.c_proj does not match attn.c_proj")
    let a = try model.parameters.tensor(named: "transformer.h.0.mlp.c_proj.lora_A.default.weight")
    let b = try model.parameters.tensor(named: "transformer.h.0.mlp.c_proj.lora_B.default.weight")
    #expect(a.shape == [2, 32] && b.shape == [8, 2])
    #expect(model.loraLayers.map(\.module) == [
      "transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj",
      "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_fc", "transformer.h.1.mlp.c_proj",
    ])

    // The adapters draw their initialization from their own seeds: the base is the plain model's, and with
    // B = 0 so are the logits.
    var generator = SeededGenerator(seed: 5)
    plain.initialize(using: &generator)
    generator = SeededGenerator(seed: 5)
    model.initialize(using: &generator)
    for slot in plain.parameters.slots {
      #expect(try model.parameters.tensor(named: slot.name) == plain.parameters.tensor(named: slot.name), "\(slot.name)")
    }
    let tokens: [Int32] = [1, 2, 3, 4, 5, 0, 1, 2]
    #expect(try model.logits(for: tokens, sequences: 2) == plain.logits(for: tokens, sequences: 2))
  }

  @Test func baseValuesCopyIntoTheAdaptedModel() throws {
    let base = try LanguageModel(tinyTransformer)
    var generator = SeededGenerator(seed: 8)
    base.initialize(using: &generator)
    let model = try LanguageModel(tinyTransformer, adapters: [attentionAndMLP])
    generator = SeededGenerator(seed: 9)
    model.initialize(using: &generator)
    let adapterA = try model.parameters.tensor(named: "transformer.h.0.attn.c_attn.lora_A.default.weight")
    try model.parameters.copyValues(from: base.parameters)
    for slot in base.parameters.slots {
      #expect(try model.parameters.tensor(named: slot.name) == base.parameters.tensor(named: slot.name))
    }
    #expect(try model.parameters.tensor(named: "transformer.h.0.attn.c_attn.lora_A.default.weight") == adapterA)
    let before = try base.parameters.tensor(named: "transformer.wte.weight")
    #expect(throws: ParameterError.unknownName("transformer.h.0.attn.c_attn.lora_A.default.weight")) {
      try base.parameters.copyValues(from: model.parameters)
    }
    #expect(try base.parameters.tensor(named: "transformer.wte.weight") == before, "nothing copied on failure")
  }

  @Test func decodingWithAdaptersMatchesTheFullForwardPass() throws {
    let model = try LanguageModel(
      tinyTransformer, adapters: [LoRAConfiguration(rank: 2, targets: .modules(["c_attn", "c_proj", "c_fc"]), seed: 3)])
    var generator = SeededGenerator(seed: 6)
    model.initialize(using: &generator)
    for layer in model.loraLayers {
      let b = model.parameters.values(layer.adapters[0].b)
      for i in b.indices { b[i] = Float(0.5 * generator.nextNormal()) }
    }
    let tokens: [Int32] = [3, 1, 4, 1]
    let logits = try model.logits(for: tokens)
    let decoder = try LanguageModelDecoder(model)
    for (position, token) in tokens.enumerated() {
      let row = try decoder.append(token)
      expectClose(row, logits.scalars[(position * 6)..<((position + 1) * 6)].map(Double.init), tolerance: 1e-5, "row \(position)")
    }
  }

  @Test func regexTargetsFullMatchAndTheStateSpaceProjectionIsATarget() throws {
    let model = try LanguageModel(
      tinyTransformer, adapters: [LoRAConfiguration(rank: 1, targets: .pattern(#"transformer\.h\.1\.attn\.c_(attn|proj)"#))])
    #expect(model.loraLayers.map(\.module) == ["transformer.h.1.attn.c_attn", "transformer.h.1.attn.c_proj"])
    let stateSpace = try LanguageModel(
      .stateSpace(vocabularySize: 6, contextLength: 4, width: 8, layers: 1, kernel: .s4d(stateSize: 4)),
      adapters: [LoRAConfiguration(rank: 2, targets: .modules(["out_proj"]))])
    #expect(stateSpace.loraLayers.map(\.module) == ["transformer.h.0.mixer.out_proj"])
    #expect(stateSpace.parameters.trainableParameterCount == 2 * 8 + 8 * 2)
  }

  @Test func targetsMatchingNothingAndBadRanksAreNamed() throws {
    let candidates = (0..<2).flatMap { i in
      ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].map { "transformer.h.\(i).\($0)" }
    }
    #expect(throws: LoRAError.noTargetMatched(targets: "/c_attn/", candidates: candidates)) {
      try LanguageModel(tinyTransformer, adapters: [LoRAConfiguration(targets: .pattern("c_attn"))])
    }
    #expect(throws: LoRAError.noTargetMatched(targets: "[\"q_proj\"]", candidates: candidates)) {
      try LanguageModel(tinyTransformer, adapters: [LoRAConfiguration(targets: .modules(["q_proj"]))])
    }
    #expect(throws: LoRAError.invalidRank(module: "transformer.h.0.attn.c_attn", rank: 9, maximum: 8)) {
      try LanguageModel(tinyTransformer, adapters: [LoRAConfiguration(rank: 9, targets: .modules(["c_attn"]))])
    }
    #expect(throws: LoRAError.invalidRank(module: "output", rank: 0, maximum: nil)) {
      try MLPClassifier(
        configuration: MLPConfiguration(inputFeatures: 4, hiddenFeatures: [], classes: 3),
        adapters: [LoRAConfiguration(rank: 0, targets: .modules(["output"]))])
    }
    #expect(throws: LoRAError.self) {
      try LanguageModel(tinyTransformer, adapters: [LoRAConfiguration(targets: .pattern("c_(attn"))])
    }
    #expect(throws: LoRAError.duplicateAdapter(module: "model", adapter: "default")) {
      try LanguageModel(
        tinyTransformer,
        adapters: [LoRAConfiguration(targets: .modules(["c_fc"])), LoRAConfiguration(targets: .modules(["c_attn"]))])
    }
  }

  @Test func adapterGradientsOfTheWholeModelMatchFiniteDifferences() throws {
    let configuration = LoRAConfiguration(
      rank: 2, alpha: 3, dropout: 0.25, targets: .modules(["c_attn", "c_proj", "c_fc"]), seed: 4)
    let model = try LanguageModel(tinyTransformer, adapters: [configuration])
    var generator = SeededGenerator(seed: 2)
    model.initialize(using: &generator)
    let store = model.parameters
    // Random B (and larger base weights), so that every factor has a gradient worth checking.
    for slot in store.slots where slot.name.hasSuffix("weight") && slot.shape.count == 2 {
      let values = store.values(try store.id(of: slot.name))
      for i in values.indices { values[i] = Float(0.5 * generator.nextNormal()) }
    }
    let batch = tinyBatch(seed: 3)
    let pass = Pass.training(step: 7, gradientScale: 1)
    let workspace = Workspace()
    store.zeroGradients()
    _ = try model.loss(on: batch, pass: pass, workspace: workspace)
    // The finite differences run training passes too (same masks), which add to the store's gradients.
    let analytics = try store.slots.map { Array(store.gradient(try store.id(of: $0.name))) }
    for (slot, analytic) in zip(store.slots, analytics) where slot.trainable {
      let id = try store.id(of: slot.name)
      let values = store.values(id)
      var numeric: [Double] = []
      for i in values.indices {
        let original = values[i]
        values[i] = original + 2e-3
        workspace.reset()
        let plus = try model.loss(on: batch, pass: pass, workspace: workspace).loss
        values[i] = original - 2e-3
        workspace.reset()
        let minus = try model.loss(on: batch, pass: pass, workspace: workspace).loss
        values[i] = original
        numeric.append((plus - minus) / 4e-3)
      }
      expectClose(analytic, numeric, tolerance: 5e-3, slot.name)
    }
  }

  @Test func trainingLowersTheLossAndLeavesTheBaseBitIdentical() throws {
    let model = try LanguageModel(tinyTransformer, adapters: [attentionAndMLP])
    var generator = SeededGenerator(seed: 1)
    model.initialize(using: &generator)
    let store = model.parameters
    // A base far from GPT-2's small initialization, like a pretrained one, whose features the adapters can use.
    for slot in store.slots where !slot.trainable && slot.shape.count == 2 {
      let values = store.values(try store.id(of: slot.name))
      for i in values.indices { values[i] = Float(0.3 * generator.nextNormal()) }
    }
    let base = store.slots.filter { !$0.trainable }.map { (name: $0.name, values: try! store.tensor(named: $0.name)) }
    let batch = tinyBatch(seed: 9)
    var optimizer = try AdamW(groups: GroupTable(learningRate: 3e-2, weightDecay: 0))
    let workspace = Workspace()
    var losses: [Double] = []
    for step in 0..<30 {
      workspace.reset()
      store.zeroGradients()
      losses.append(try model.loss(on: batch, pass: .training(step: step, gradientScale: 1), workspace: workspace).loss)
      optimizer.update(store)
    }
    #expect(losses.last! < 0.8 * losses.first!, "losses \(losses.first!) → \(losses.last!)")
    for (name, values) in base { #expect(try store.tensor(named: name) == values, "\(name) moved") }
  }

  @Test func classifierAdaptersMergeIntoDenseLayersAndNotIntoMonarch() throws {
    let configuration = MLPConfiguration(inputFeatures: 8, hiddenFeatures: [8], classes: 4)
    let model = try MLPClassifier(
      configuration: configuration, adapters: [LoRAConfiguration(rank: 2, alpha: 2, targets: .pattern("hidden\\.0|output"))])
    #expect(model.linearModules.map(\.module) == ["hidden.0", "output"])
    #expect(model.parameters.trainableParameterCount == (2 * 8 + 8 * 2) + (2 * 8 + 4 * 2))
    var generator = SeededGenerator(seed: 3)
    model.initialize(using: &generator)
    for layer in model.loraLayers {
      let b = model.parameters.values(layer.adapters[0].b)
      for i in b.indices { b[i] = Float(generator.nextNormal()) }
    }
    let features = Tensor<Float>(shape: [3, 8], scalars: samples(24, seed: 4).map(Float.init))
    let adapted = try model.logits(for: features)
    // Disabled, the adapters leave the plain model (initialized from the same seed).
    try model.setAdapter(named: "default", enabled: false)
    let plain = try MLPClassifier(configuration: configuration)
    generator = SeededGenerator(seed: 3)
    plain.initialize(using: &generator)
    #expect(try model.logits(for: features) == plain.logits(for: features))
    #expect(try model.logits(for: features) != adapted)
    try model.setAdapter(named: "default", enabled: true)
    let weight = try model.parameters.tensor(named: "hidden.0.weight")
    try model.mergeAdapter(named: "default")
    #expect(try model.parameters.tensor(named: "hidden.0.weight") != weight)
    expectClose(try model.logits(for: features).scalars, adapted.scalars.map(Double.init), tolerance: 1e-6, "merged")
    try model.unmergeAdapter(named: "default")
    expectClose(try model.logits(for: features).scalars, adapted.scalars.map(Double.init), tolerance: 1e-6, "unmerged")
    #expect(throws: LoRAError.unknownAdapter(module: "model", adapter: "other")) { try model.mergeAdapter(named: "other") }

    let monarch = try MLPClassifier(
      configuration: MLPConfiguration(inputFeatures: 8, hiddenFeatures: [8], classes: 4, hiddenLayers: .monarch(blocks: 2)),
      adapters: [LoRAConfiguration(rank: 2, targets: .modules(["hidden.0", "output"]))])
    let before = try monarch.parameters.tensor(named: "output.weight")
    #expect(throws: LoRAError.self) { try monarch.mergeAdapter(named: "default") }
    #expect(try monarch.parameters.tensor(named: "output.weight") == before, "no layer merged when one cannot")
    #expect(monarch.loraLayers.allSatisfy { !$0.adapters[0].isMerged })
  }
}
