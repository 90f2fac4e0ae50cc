import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// Adapters written by Python's `peft` (`Fixtures/peft/generate_peft_fixture.py`) against the outputs PyTorch
/// computed with them, and adapters written here against PEFT's layout.
@Suite struct PEFTAdapterFixtureTests {
  static func fixtureFolder() throws -> URL {
    try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/peft")
  }

  /// The fixture's reference tensors: `base.<name>`, `input` and `output.<module>`.
  struct Reference {
    let file: SafetensorsFile

    init(_ name: String) throws {
      file = try SafetensorsFile(contentsOf: try fixtureFolder().appendingPathComponent("\(name)_reference.safetensors"))
    }

    func tensor(_ name: String) throws -> Tensor<Float> { try file.tensorData(named: name).tensor(as: Float.self) }
    var input: Tensor<Float> { get throws { try tensor("input") } }
    var modules: [String] { file.names.filter { $0.hasPrefix("output.") }.map { String($0.dropFirst(7)) }.sorted() }
  }

  /// `x Wᵀ + b + s·(x Aᵀ) Bᵀ` in `Double`, by loops; `W` is `in × out` when `fanInFanOut`.
  static func adaptedOutput(
    input x: Tensor<Float>, weight w: Tensor<Float>, bias: Tensor<Float>?, factors: LoRAFactors, scale: Double,
    fanInFanOut: Bool
  ) -> Tensor<Double> {
    let (n, inputs, outputs, r) = (x.shape[0], factors.inputFeatures, factors.outputFeatures, factors.rank)
    var y = Tensor<Double>(zeros: [n, outputs])
    for row in 0..<n {
      var u = [Double](repeating: 0, count: r)
      for k in 0..<r {
        for i in 0..<inputs { u[k] += Double(x[row, i]) * Double(factors.a[k, i]) }
      }
      for o in 0..<outputs {
        var sum = bias.map { Double($0[o]) } ?? 0
        for i in 0..<inputs { sum += Double(x[row, i]) * Double(fanInFanOut ? w[i, o] : w[o, i]) }
        for k in 0..<r { sum += scale * u[k] * Double(factors.b[o, k]) }
        y[row, o] = sum
      }
    }
    return y
  }

  /// `pissa` and `pissa_rslora` are rank-2r adapters PEFT converted for the original weights, checked against the
  /// trained PiSSA model's outputs.
  @Test(arguments: ["linear", "conv1d", "pissa", "pissa_rslora"])
  func peftsAdapterGivesPyTorchsOutputs(name: String) throws {
    let adapter = try PEFTAdapter.load(from: try Self.fixtureFolder().appendingPathComponent(name))
    let reference = try Reference(name)
    #expect(adapter.factors.keys.sorted() == reference.modules)
    #expect(adapter.configuration.fanInFanOut == (name == "conv1d"))
    let x = try reference.input
    for module in reference.modules {
      let factors = try #require(adapter.factors[module])
      let weight = try reference.tensor("base.\(module).weight")
      let bias = reference.file.names.contains("base.\(module).bias") ? try reference.tensor("base.\(module).bias") : nil
      let expected = try reference.tensor("output.\(module)")
      let y = Self.adaptedOutput(
        input: x, weight: weight, bias: bias, factors: factors, scale: try adapter.scaling(forModule: module).scale,
        fanInFanOut: adapter.configuration.fanInFanOut)
      let check = discrepancy(y, expected, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
      #expect(check.isWithinTolerance, "\(name) \(module): \(check)")
      // The merged weight gives the same outputs without the adapter.
      var merged = weight
      try adapter.merge(into: &merged, module: module)
      let mergedOutput = Self.adaptedOutput(
        input: x, weight: merged, bias: bias, factors: factors, scale: 0, fanInFanOut: adapter.configuration.fanInFanOut)
      let mergedCheck = discrepancy(mergedOutput, expected, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
      #expect(mergedCheck.isWithinTolerance, "\(name) \(module) merged: \(mergedCheck)")
    }
  }

  /// PEFT's conversion of a PiSSA adapter to rank 2r (`save_pretrained` with
  /// `path_initial_model_for_weight_conversion`) against ``PEFTAdapterConfiguration/rankDoubledForOriginalWeights()``
  /// of the initial adapter's configuration.
  @Test(arguments: ["pissa", "pissa_rslora"])
  func peftsRankDoublingMatchesOurs(name: String) throws {
    let folder = try Self.fixtureFolder()
    let initialURL = folder.appendingPathComponent("\(name)_initial_config.json")
    let initial = try PEFTAdapterConfiguration(jsonBytes: Array(try Data(contentsOf: initialURL)), file: initialURL.path)
    let converted = try PEFTAdapter.load(from: folder.appendingPathComponent(name))
    let ours = try initial.rankDoubledForOriginalWeights()
    #expect(converted.configuration.rank == ours.rank && converted.configuration.alpha == ours.alpha)
    #expect(converted.configuration.rankPattern == ours.rankPattern)
    #expect(converted.configuration.alphaPattern == ours.alphaPattern)
    #expect(converted.configuration.initialization == ours.initialization && ours.useRSLoRA == (name == "pissa_rslora"))
    for module in converted.factors.keys {
      // Equal up to rounding: with rsLoRA, √2·α/√(2r) and α/√r differ in the last bit.
      let (after, before) = (try converted.scaling(forModule: module).scale, try initial.scaling(forModule: module).scale)
      #expect(abs(after - before) <= 1e-15 * before, "\(module)")
      #expect(try converted.factors[module]?.rank == 2 * initial.scaling(forModule: module).rank, "\(module)")
    }
  }

  /// The fixture's `rank_pattern`/`alpha_pattern` under rsLoRA give three different scales, and a uniform scale would
  /// miss PyTorch's outputs: this pins the scales themselves.
  @Test func theLinearFixturesScalesFollowItsPatterns() throws {
    let adapter = try PEFTAdapter.load(from: try Self.fixtureFolder().appendingPathComponent("linear"))
    let scales = try adapter.factors.keys.sorted().map { try adapter.scaling(forModule: $0) }
    #expect(scales.map(\.rank) == [4, 4, 2, 4])
    #expect(scales.map(\.scale) == [4, 1.75, 8 / 2.0.squareRoot(), 1.75])
    #expect(adapter.factors["blocks.1.attn.q_proj"]?.a.shape == [2, 6])
    #expect(adapter.factors["blocks.0.mlp.up"]?.b.shape == [10, 4])
    #expect(adapter.parameterCount == 4 * 12 + 4 * 16 + 2 * 12 + 4 * 16)
  }

  @Test func aSavedFixtureHasPEFTsTensorsAndConfigurationValues() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let source = try Self.fixtureFolder().appendingPathComponent("linear")
    let adapter = try PEFTAdapter.load(from: source)
    let copy = folder.file("copy")
    try adapter.save(to: copy)
    #expect(try FileManager.default.contentsOfDirectory(atPath: copy.path).sorted()
      == ["adapter_config.json", "adapter_model.safetensors"])
    #expect(try folder.contents() == ["copy"])
    #expect(try PEFTAdapter.load(from: copy) == adapter)

    let (theirs, ours) = (
      try SafetensorsFile(contentsOf: source.appendingPathComponent(PEFTAdapter.weightsFileName)),
      try SafetensorsFile(contentsOf: copy.appendingPathComponent(PEFTAdapter.weightsFileName))
    )
    #expect(ours.metadata == ["format": "pt"] && theirs.metadata == ["format": "pt"])
    #expect(ours.names == theirs.names)
    for name in theirs.names { #expect(try ours.tensorData(named: name) == theirs.tensorData(named: name), "\(name)") }

    let peftJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("adapter_config.json")))
        as? [String: Any])
    let ourJSON = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: copy.appendingPathComponent("adapter_config.json")))
        as? [String: Any])
    for (key, value) in ourJSON {
      let theirs = try #require(peftJSON[key], "PEFT's file has no \(key)")
      #expect((value as? NSObject)?.isEqual(theirs) ?? (value is NSNull && theirs is NSNull), "\(key)")
    }
  }

  /// Writes an adapter made here, with its own ranks, patterns and factors, and the outputs computed here, for
  /// `Fixtures/peft/check_our_adapter.py` to load in PEFT (see the fixture README). The folder is temporary unless
  /// `PEFT_CHECK_FOLDER` names one.
  @Test func anAdapterMadeHereRoundTripsWithItsOutputs() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let exportFolder = ProcessInfo.processInfo.environment["PEFT_CHECK_FOLDER"].map { URL(fileURLWithPath: $0) }
    let root = exportFolder ?? temporary.url
    let reference = try Reference("linear")
    let configuration = PEFTAdapterConfiguration(
      rank: 3, alpha: 6, targetModules: .modules(["q_proj", "up"]), rankPattern: ["blocks.0.mlp.up": 2],
      alphaPattern: ["blocks.1.attn.q_proj": 1.5])
    var generator = SeededGenerator(seed: 42)
    var factors: [String: LoRAFactors] = [:]
    var outputs: [(String, TensorData)] = [("input", try TensorData(try reference.input))]
    for module in reference.modules {
      let weight = try reference.tensor("base.\(module).weight")
      let rank = try configuration.scaling(forModule: module).rank
      factors[module] = try LoRAFactors(
        a: .normal(shape: [rank, weight.shape[1]], standardDeviation: 0.4, using: &generator),
        b: .normal(shape: [weight.shape[0], rank], standardDeviation: 0.4, using: &generator), module: module)
    }
    let adapter = try PEFTAdapter(configuration: configuration, factors: factors)
    for module in reference.modules {
      let y = Self.adaptedOutput(
        input: try reference.input, weight: try reference.tensor("base.\(module).weight"),
        bias: try reference.tensor("base.\(module).bias"), factors: try #require(factors[module]),
        scale: try adapter.scaling(forModule: module).scale, fanInFanOut: false)
      outputs.append(("output.\(module)", try TensorData(y.converted(to: Float.self))))
    }
    let folder = root.appendingPathComponent("adapter")
    try adapter.save(to: folder)
    try SafetensorsWriter.write(outputs, to: root.appendingPathComponent("our_outputs.safetensors"))
    let loaded = try PEFTAdapter.load(from: folder)
    var expected = configuration
    expected.inferenceMode = true
    #expect(loaded.configuration == expected && loaded.factors == factors)
    #expect(try loaded.scaling(forModule: "blocks.0.mlp.up").scale == 3)
    #expect(try loaded.scaling(forModule: "blocks.1.attn.q_proj").scale == 0.5)
  }
}
