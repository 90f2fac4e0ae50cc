import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// Merging a PEFT adapter into a whole checkpoint: every adapted weight against `W + s·B·A` computed by loops,
/// the other tensors byte for byte, PEFT's own fixtures against PyTorch's outputs, and every refusal writing nothing.
@Suite struct PEFTAdapterCheckpointTests {
  static func randomFactors(rank: Int, inputs: Int, outputs: Int, seed: UInt64) throws -> LoRAFactors {
    var generator = SeededGenerator(seed: seed)
    return try LoRAFactors(
      a: .normal(shape: [rank, inputs], using: &generator), b: .normal(shape: [outputs, rank], using: &generator))
  }

  /// `W[o][i] + s·Σ_k B[o][k]·A[k][i]` (at `[i][o]` when `fanInFanOut`), in `Double`.
  static func naiveMerge(_ weight: Tensor<Float>, _ f: LoRAFactors, scale: Double, fanInFanOut: Bool) -> Tensor<Double> {
    var merged = weight.converted(to: Double.self)
    for o in 0..<f.outputFeatures {
      for i in 0..<f.inputFeatures {
        var sum = 0.0
        for k in 0..<f.rank { sum += Double(f.b[o, k]) * Double(f.a[k, i]) }
        if fanInFanOut { merged[i, o] += scale * sum } else { merged[o, i] += scale * sum }
      }
    }
    return merged
  }

  static func normal(_ shape: [Int], seed: UInt64) -> Tensor<Float> {
    var generator = SeededGenerator(seed: seed)
    return .normal(shape: shape, using: &generator)
  }

  /// An adapter on three modules with rsLoRA, a rank pattern and an alpha pattern: the scales are
  /// `8/√4 = 4` (`blocks.0.q`), `8/√2` (`blocks.1.q`, rank 2) and `3/√4 = 1.5` (`blocks.0.up`, alpha 3).
  static func patternedAdapter() throws -> (adapter: PEFTAdapter, scales: [String: Double]) {
    var configuration = PEFTAdapterConfiguration(
      rank: 4, alpha: 8, targetModules: .modules(["q", "up"]), useRSLoRA: true)
    configuration.rankPattern = ["blocks.1.q": 2]
    configuration.alphaPattern = ["up": 3]
    let factors = [
      "blocks.0.q": try randomFactors(rank: 4, inputs: 5, outputs: 6, seed: 1),
      "blocks.1.q": try randomFactors(rank: 2, inputs: 5, outputs: 6, seed: 2),
      "blocks.0.up": try randomFactors(rank: 4, inputs: 6, outputs: 7, seed: 3),
    ]
    let adapter = try PEFTAdapter(configuration: configuration, factors: factors)
    return (adapter, ["blocks.0.q": 4, "blocks.1.q": 8 / 2.0.squareRoot(), "blocks.0.up": 1.5])
  }

  @Test func everyAdaptedWeightIsWPlusTheScaledProductAndEveryOtherTensorIsCopied() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let (adapter, scales) = try Self.patternedAdapter()
    let weights = [
      "blocks.0.q.weight": Self.normal([6, 5], seed: 10), "blocks.1.q.weight": Self.normal([6, 5], seed: 11),
      "blocks.0.up.weight": Self.normal([7, 6], seed: 12),
    ]
    // Tensors the adapter does not touch: a bias, an unadapted weight, a BF16 table and integer counts.
    let untouched: [(String, TensorData)] = [
      ("blocks.0.q.bias", try TensorData(Self.normal([6], seed: 13))),
      ("blocks.0.k.weight", try TensorData(Self.normal([6, 5], seed: 14))),
      ("embed.weight", try TensorData(Self.normal([9, 5], seed: 15), as: .bfloat16)),
      ("counts", try TensorData(dtype: .int64, shape: [3], bytes: [Int64(1), -2, 3].withUnsafeBytes { [UInt8]($0) })),
    ]
    let baseURL = folder.file("base.safetensors")
    try SafetensorsWriter.write(
      try weights.map { ($0.key, try TensorData($0.value)) } + untouched, metadata: ["format": "pt", "step": "7"],
      to: baseURL)
    let base = try SafetensorsFile(contentsOf: baseURL)
    let output = folder.file("merged.safetensors")
    let merged = try adapter.mergeCheckpoint(base, to: output, protectedInputs: [baseURL])
    #expect(merged == base.names.filter { weights[$0] != nil })

    let result = try SafetensorsFile(contentsOf: output)
    #expect(result.metadata == ["format": "pt", "step": "7"])
    #expect(result.names == base.names)
    for (module, scale) in scales {
      let name = "\(module).weight"
      let expected = Self.naiveMerge(
        try #require(weights[name]), try #require(adapter.factors[module]), scale: scale, fanInFanOut: false)
      let check = discrepancy(
        try result.tensorData(named: name).tensor(as: Float.self), expected, absoluteTolerance: 1e-5,
        relativeTolerance: 1e-5)
      #expect(check.isWithinTolerance, "\(name): \(check)")
      #expect(try result.info(named: name).dtype == .float32)
    }
    for (name, data) in untouched {
      #expect(try result.tensorData(named: name) == data, "\(name)")
    }
  }

  /// A half-precision weight is merged in its own element type: the stored value is the exact sum rounded once
  /// to F16.
  @Test func aHalfPrecisionWeightStaysHalfPrecision() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let factors = try Self.randomFactors(rank: 2, inputs: 4, outputs: 3, seed: 4)
    let adapter = try PEFTAdapter(
      configuration: PEFTAdapterConfiguration(rank: 2, alpha: 3, targetModules: .modules(["proj"])),
      factors: ["proj": factors])
    let weight = try TensorData(Self.normal([3, 4], seed: 5), as: .float16)
    let merged = try adapter.mergedWeight(weight, module: "proj", file: "base.safetensors")
    #expect(merged.dtype == .float16 && merged.shape == [3, 4])
    let expected = Self.naiveMerge(try weight.tensor(as: Float.self), factors, scale: 1.5, fanInFanOut: false)
    // F16 has 11 significant bits: one rounding is at most 2⁻¹¹ relative.
    let check = discrepancy(
      try merged.tensor(as: Float.self), expected, absoluteTolerance: 1e-6, relativeTolerance: 1.0 / 2048)
    #expect(check.isWithinTolerance, "\(check)")
  }

  /// PEFT's fixtures (written by `peft`, see `Fixtures/peft/README.md`) merged into their base model's state dict:
  /// the merged weights give PyTorch's adapted outputs without the adapter, and the biases are copied.
  @Test(arguments: ["linear", "conv1d"])
  func peftsFixtureMergedIntoItsBaseGivesPyTorchsOutputs(name: String) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let fixtures = try PEFTAdapterFixtureTests.fixtureFolder()
    let adapter = try PEFTAdapter.load(from: fixtures.appendingPathComponent(name))
    let reference = try PEFTAdapterFixtureTests.Reference(name)
    let baseNames = reference.file.names.filter { $0.hasPrefix("base.") }
    let baseURL = folder.file("base.safetensors")
    try SafetensorsWriter.write(
      try baseNames.map { (String($0.dropFirst(5)), try reference.file.tensorData(named: $0)) }, metadata: ["format": "pt"],
      to: baseURL)
    let output = folder.file("merged.safetensors")
    let merged = try adapter.mergeCheckpoint(try SafetensorsFile(contentsOf: baseURL), to: output)
    #expect(Set(merged) == Set(reference.modules.map { "\($0).weight" }))
    let result = try SafetensorsFile(contentsOf: output)
    let x = try reference.input
    let fanInFanOut = adapter.configuration.fanInFanOut
    for module in reference.modules {
      let weight = try result.tensorData(named: "\(module).weight").tensor(as: Float.self)
      let bias = result.names.contains("\(module).bias") ? try result.tensorData(named: "\(module).bias").tensor(as: Float.self) : nil
      let factors = try #require(adapter.factors[module])
      // Only the merged weight: the adapter's own term is scaled by zero.
      let y = PEFTAdapterFixtureTests.adaptedOutput(
        input: x, weight: weight, bias: bias, factors: factors, scale: 0, fanInFanOut: fanInFanOut)
      let check = discrepancy(y, try reference.tensor("output.\(module)"), absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
      #expect(check.isWithinTolerance, "\(name) \(module): \(check)")
    }
    for name in baseNames.map({ String($0.dropFirst(5)) }) where !merged.contains(name) {
      #expect(try result.tensorData(named: name) == reference.file.tensorData(named: "base.\(name)"), "\(name)")
    }
  }

  /// A checkpoint that cannot take the adapter is refused from its header, naming the module, the tensor and the
  /// shapes, and no file appears; an existing output is left as it was.
  @Test func aCheckpointThatDoesNotFitIsRefusedAndNothingIsWritten() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let (adapter, _) = try Self.patternedAdapter()
    let file = "base.safetensors"
    func checkpoint(_ tensors: [(String, TensorData)]) throws -> SafetensorsFile {
      let url = folder.file(file)
      try SafetensorsWriter.write(tensors, to: url)
      return try SafetensorsFile(contentsOf: url)
    }
    let fitting: [(String, TensorData)] = [
      ("blocks.0.q.weight", try TensorData(Self.normal([6, 5], seed: 1))),
      ("blocks.1.q.weight", try TensorData(Self.normal([6, 5], seed: 2))),
    ]
    let output = folder.file("merged.safetensors")
    let old = Array("old contents".utf8)
    try Data(old).write(to: output)

    let missing = try checkpoint(fitting + [("blocks.0.up.w1", try TensorData(Self.normal([2, 3, 3], seed: 3)))])
    #expect(
      throws: LoRAError.baseTensorMissing(
        file: missing.url.path, module: "blocks.0.up", tensor: "blocks.0.up.weight", related: ["blocks.0.up.w1"])
    ) { try adapter.mergeCheckpoint(missing, to: output) }

    let transposed = try checkpoint(fitting + [("blocks.0.up.weight", try TensorData(Self.normal([6, 7], seed: 3)))])
    let shapeError = #expect(throws: LoRAError.self) { try adapter.mergeCheckpoint(transposed, to: output) }
    guard case .baseTensorMismatch(_, "blocks.0.up", "blocks.0.up.weight", let reason)? = shapeError else {
      Issue.record("\(String(describing: shapeError))")
      return
    }
    #expect(reason.contains("[6, 7]") && reason.contains("[out, in] = [7, 6]"), "\(reason)")
    #expect(reason.contains("lora_A [4, 6]") && reason.contains("lora_B [7, 4]"), "\(reason)")

    let integer = try checkpoint(
      fitting + [("blocks.0.up.weight", try TensorData(dtype: .int32, shape: [7, 6], bytes: [UInt8](repeating: 0, count: 168)))])
    #expect(
      throws: LoRAError.baseTensorMismatch(
        file: integer.url.path, module: "blocks.0.up", tensor: "blocks.0.up.weight",
        reason: "its elements are I32; only F32, F64, F16 and BF16 weights can be merged into")
    ) { try adapter.mergeCheckpoint(integer, to: output) }

    #expect(try Array(Data(contentsOf: output)) == old)
    #expect(try folder.contents() == ["base.safetensors", "merged.safetensors"])
  }

  /// An update that overflows F16 (largest finite 65504) is refused, naming the position and both values.
  @Test func aMergedValueBeyondTheElementTypeIsRefused() throws {
    let factors = try LoRAFactors(a: Tensor(repeating: 100, shape: [1, 2]), b: Tensor(repeating: 100, shape: [2, 1]))
    let adapter = try PEFTAdapter(
      configuration: PEFTAdapterConfiguration(rank: 1, alpha: 1, targetModules: .modules(["proj"])),
      factors: ["proj": factors])
    let weight = try TensorData(Tensor<Float>(repeating: 60000, shape: [2, 2]), as: .float16)
    #expect(
      throws: LoRAError.baseTensorMismatch(
        file: "base.safetensors", module: "proj", tensor: "proj.weight",
        reason: "the merged value at [0, 0] is not finite in F16 (weight 60000.0, update 10000.0)")
    ) { try adapter.mergedWeight(weight, module: "proj", file: "base.safetensors") }
  }
}
