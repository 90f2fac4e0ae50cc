import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// Reading and writing PEFT adapter folders: round trips, element types, and every malformed folder.
@Suite struct PEFTAdapterFileTests {
  private static let configuration = PEFTAdapterConfiguration(
    rank: 2, alpha: 4, targetModules: .modules(["q_proj", "up"]), rankPattern: ["layers.1.up": 1])

  /// Factors with distinct, exactly representable values (so that F16 and BF16 keep them).
  private static func factors(rank: Int, inputs: Int, outputs: Int, offset: Float) throws -> LoRAFactors {
    try LoRAFactors(
      a: Tensor(shape: [rank, inputs]) { Float($0) * 0.25 - offset },
      b: Tensor(shape: [outputs, rank]) { offset - Float($0) * 0.5 })
  }

  private static func adapter() throws -> PEFTAdapter {
    try PEFTAdapter(
      configuration: configuration,
      factors: [
        "model.layers.0.q_proj": try factors(rank: 2, inputs: 3, outputs: 4, offset: 1),
        "model.layers.1.up": try factors(rank: 1, inputs: 3, outputs: 5, offset: 2),
      ])
  }

  /// Writes an adapter folder by hand: the configuration text and the named tensors.
  private static func writeFolder(
    _ folder: URL, configuration: String? = nil, tensors: [(String, TensorData)]? = nil
  ) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let text = try configuration ?? String(decoding: Self.configuration.encodedJSON(), as: UTF8.self)
    try AtomicFile.write(Data(text.utf8), to: folder.appendingPathComponent(PEFTAdapterConfiguration.fileName))
    let tensors = try tensors ?? standardTensors()
    try SafetensorsWriter.write(
      tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent(PEFTAdapter.weightsFileName))
  }

  private static func standardTensors(dtype: DType = .float32) throws -> [(String, TensorData)] {
    let adapter = try adapter()
    return try adapter.factors.flatMap { module, pair in
      [
        (PEFTAdapter.tensorKey(module: module, a: true), try TensorData(pair.a, as: dtype)),
        (PEFTAdapter.tensorKey(module: module, a: false), try TensorData(pair.b, as: dtype)),
      ]
    }
  }

  private func expectLoadError(
    _ expected: (URL) -> LoRAError, configuration: String? = nil, tensors: [(String, TensorData)]? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let folder = temporary.file("adapter")
    try Self.writeFolder(folder, configuration: configuration, tensors: tensors)
    #expect(throws: expected(folder), sourceLocation: sourceLocation) { try PEFTAdapter.load(from: folder) }
  }

  private static func weights(_ folder: URL) -> String { folder.appendingPathComponent(PEFTAdapter.weightsFileName).path }
  private static func config(_ folder: URL) -> String {
    folder.appendingPathComponent(PEFTAdapterConfiguration.fileName).path
  }

  @Test func saveThenLoadGivesTheSameAdapter() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let adapter = try Self.adapter()
    try adapter.save(to: temporary.file("adapter"))
    let loaded = try PEFTAdapter.load(from: temporary.file("adapter"))
    var expected = adapter.configuration
    expected.inferenceMode = true
    #expect(loaded.configuration == expected)
    #expect(loaded.factors == adapter.factors)
    let file = try SafetensorsFile(contentsOf: temporary.file("adapter").appendingPathComponent(PEFTAdapter.weightsFileName))
    #expect(file.metadata == ["format": "pt"])
    #expect(
      file.names == [
        "base_model.model.model.layers.0.q_proj.lora_A.weight", "base_model.model.model.layers.0.q_proj.lora_B.weight",
        "base_model.model.model.layers.1.up.lora_A.weight", "base_model.model.model.layers.1.up.lora_B.weight",
      ])
    #expect(try file.info(named: "base_model.model.model.layers.1.up.lora_B.weight").shape == [5, 1])
    #expect(try temporary.contents() == ["adapter"])
  }

  @Test(arguments: [DType.float16, .bfloat16, .float64])
  func lowAndHighPrecisionFactorsLoadAsFloat(dtype: DType) throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    try Self.writeFolder(temporary.file("adapter"), tensors: try Self.standardTensors(dtype: dtype))
    #expect(try PEFTAdapter.load(from: temporary.file("adapter")).factors == Self.adapter().factors)
  }

  @Test func anAdapterWithoutTargetModulesTargetsExactlyItsModules() throws {
    let adapter = try PEFTAdapter(
      configuration: PEFTAdapterConfiguration(rank: 2),
      factors: [
        "b.q": try Self.factors(rank: 2, inputs: 2, outputs: 2, offset: 0),
        "a.k": try Self.factors(rank: 2, inputs: 2, outputs: 2, offset: 1),
      ])
    #expect(adapter.configuration.targetModules == .modules(["a.k", "b.q"]))
    #expect(
      throws: LoRAError.moduleNotTargeted(file: "adapter_config.json", module: "model.k_proj")
    ) {
      try PEFTAdapter(
        configuration: Self.configuration,
        factors: ["model.k_proj": try Self.factors(rank: 2, inputs: 2, outputs: 2, offset: 0)])
    }
    #expect(
      throws: LoRAError.rankDisagreesWithConfiguration(
        file: "adapter_config.json", module: "model.layers.1.up", configured: 1, stored: 2)
    ) {
      try PEFTAdapter(
        configuration: Self.configuration,
        factors: ["model.layers.1.up": try Self.factors(rank: 2, inputs: 2, outputs: 2, offset: 0)])
    }
  }

  // MARK: - Writing

  @Test func savingOverAnExistingAdapterReplacesBothFilesAndKeepsTheRest() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let folder = temporary.file("adapter")
    try Self.writeFolder(folder, configuration: #"{"peft_type": "LORA", "r": 1, "target_modules": ["x"]}"#, tensors: [])
    try AtomicFile.write(Data("notes".utf8), to: folder.appendingPathComponent("README.md"))
    let adapter = try Self.adapter()
    try adapter.save(to: folder)
    #expect(try PEFTAdapter.load(from: folder).factors == adapter.factors)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        == ["README.md", "adapter_config.json", "adapter_model.safetensors"])
  }

  @Test func unwritableDestinationsAreRefusedAndLeaveNothing() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let adapter = try Self.adapter()
    let file = temporary.file("plain")
    try AtomicFile.write(Data("x".utf8), to: file)
    #expect(throws: LoRAError.unwritableFile(file: file.path, reason: "it exists and is not a folder")) {
      try adapter.save(to: file)
    }
    let deep = temporary.file("missing").appendingPathComponent("adapter")
    #expect {
      try adapter.save(to: deep)
    } throws: { error in
      guard case .unwritableFile(deep.path, let reason) = error as? LoRAError else { return false }
      return reason.hasPrefix("cannot create a folder beside it")
    }
    // A directory where the configuration file would go: both files are refused before either is renamed.
    let blocked = temporary.file("blocked")
    try FileManager.default.createDirectory(
      at: blocked.appendingPathComponent(PEFTAdapterConfiguration.fileName), withIntermediateDirectories: true)
    #expect {
      try adapter.save(to: blocked)
    } throws: { error in
      guard case .unwritableFile(Self.config(blocked), _) = error as? LoRAError else { return false }
      return true
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: blocked.path) == [PEFTAdapterConfiguration.fileName])
    #expect(try temporary.contents() == ["blocked", "plain"])
  }

  // MARK: - Malformed folders

  @Test func missingFolderAndFilesAreNamed() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let folder = temporary.file("adapter")
    #expect(throws: LoRAError.unreadableFile(file: folder.path, reason: "no such folder (a PEFT adapter is a folder)")) {
      try PEFTAdapter.load(from: folder)
    }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    #expect(
      throws: LoRAError.unreadableFile(
        file: Self.config(folder),
        reason: "no such file (a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors)")
    ) { try PEFTAdapter.load(from: folder) }
    try AtomicFile.write(
      Data(try Self.configuration.encodedJSON()), to: folder.appendingPathComponent(PEFTAdapterConfiguration.fileName))
    #expect(throws: LoRAError.unreadableFile(file: Self.weights(folder), reason: "no such file")) {
      try PEFTAdapter.load(from: folder)
    }
    try AtomicFile.write(Data([0x80, 0x02]), to: folder.appendingPathComponent("adapter_model.bin"))
    #expect(
      throws: LoRAError.unreadableFile(
        file: Self.weights(folder),
        reason: "no such file; the folder holds adapter_model.bin, a pickle, which is not read "
          + "(save it with safe_serialization=True)")
    ) { try PEFTAdapter.load(from: folder) }
    try AtomicFile.write(Data("not safetensors".utf8), to: folder.appendingPathComponent(PEFTAdapter.weightsFileName))
    #expect {
      try PEFTAdapter.load(from: folder)
    } throws: { error in
      guard case .unreadableFile(Self.weights(folder), let reason) = error as? LoRAError else { return false }
      return reason.hasPrefix("malformed file")
    }
  }

  @Test func badConfigurationFilesAreNamed() throws {
    try expectLoadError({ .unsupportedPEFTType(file: Self.config($0), type: "IA3") }, configuration: #"{"peft_type": "IA3"}"#)
    try expectLoadError(
      {
        .unsupportedFeature(
          file: Self.config($0), field: "use_dora", reason: "DoRA adapters (lora_magnitude_vector) are not implemented")
      },
      configuration: #"{"peft_type": "LORA", "r": 2, "use_dora": true}"#)
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let folder = temporary.file("adapter")
    try Self.writeFolder(folder, configuration: #"{"peft_type": "LORA", "r": 2,"#)
    #expect {
      try PEFTAdapter.load(from: folder)
    } throws: { error in
      guard case .invalidJSON(Self.config(folder), let reason) = error as? LoRAError else { return false }
      return reason == "Unexpected end of file during JSON parse."
    }
  }

  @Test func anOversizedConfigurationIsRefusedBeforeItIsRead() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    let folder = temporary.file("adapter")
    try Self.writeFolder(folder)
    // A sparse file one byte over the limit: refused by its size, without reading it.
    let configuration = folder.appendingPathComponent(PEFTAdapterConfiguration.fileName)
    let handle = try FileHandle(forWritingTo: configuration)
    try handle.truncate(atOffset: UInt64(PEFTAdapterConfiguration.maximumFileBytes + 1))
    try handle.close()
    #expect(
      throws: LoRAError.unreadableFile(
        file: configuration.path, reason: "16777217 bytes, more than the 16777216 bytes accepted here")
    ) { try PEFTAdapter.load(from: folder) }
  }

  @Test func aModuleWithOnlyOneFactorNamesTheMissingTensor() throws {
    let tensors = try Self.standardTensors()
    try expectLoadError(
      { .missingTensor(file: Self.weights($0), key: "base_model.model.model.layers.1.up.lora_B.weight") },
      tensors: tensors.filter { $0.0 != "base_model.model.model.layers.1.up.lora_B.weight" })
    try expectLoadError(
      { .missingTensor(file: Self.weights($0), key: "base_model.model.model.layers.0.q_proj.lora_A.weight") },
      tensors: tensors.filter { $0.0 != "base_model.model.model.layers.0.q_proj.lora_A.weight" })
  }

  /// Every non-finite value, in A or in B and in every stored type, is refused naming the tensor.
  @Test(arguments: [Float.nan, .infinity, -.infinity])
  func factorsWithNaNOrInfinityAreRefused(value: Float) throws {
    let key = "base_model.model.model.layers.1.up.lora_B.weight"
    for dtype in [DType.float32, .bfloat16] {
      for name in [key, "base_model.model.model.layers.0.q_proj.lora_A.weight"] {
        let tensors = try Self.standardTensors(dtype: dtype).map { entry in
          guard entry.0 == name else { return entry }
          var values = try entry.1.tensor(as: Float.self)
          values.scalars[values.count - 1] = value
          return (entry.0, try TensorData(values, as: dtype))
        }
        try expectLoadError({ .nonFiniteTensor(file: Self.weights($0), key: name) }, tensors: tensors)
      }
    }
  }

  @Test func shapesThatDisagreeWithTheConfigurationOrEachOtherAreNamed() throws {
    var tensors = try Self.standardTensors()
    // Rank 2 where rank_pattern gives layers.1.up rank 1.
    tensors.removeAll { $0.0.contains("layers.1.up") }
    tensors.append(("base_model.model.model.layers.1.up.lora_A.weight", try TensorData(Tensor<Float>(zeros: [2, 3]))))
    tensors.append(("base_model.model.model.layers.1.up.lora_B.weight", try TensorData(Tensor<Float>(zeros: [5, 2]))))
    try expectLoadError(
      { .rankDisagreesWithConfiguration(file: Self.weights($0), module: "model.layers.1.up", configured: 1, stored: 2) },
      tensors: tensors)
    var mismatched = try Self.standardTensors()
    mismatched.removeAll { $0.0 == "base_model.model.model.layers.0.q_proj.lora_B.weight" }
    mismatched.append(("base_model.model.model.layers.0.q_proj.lora_B.weight", try TensorData(Tensor<Float>(zeros: [4, 3]))))
    try expectLoadError(
      {
        .invalidTensorShape(
          file: Self.weights($0), key: "base_model.model.model.layers.0.q_proj.lora_B.weight", shape: [4, 3],
          reason: "lora_B must be out × r with the rank r = 2 of lora_A [2, 3]")
      }, tensors: mismatched)
    var vector = try Self.standardTensors()
    vector.removeAll { $0.0 == "base_model.model.model.layers.0.q_proj.lora_A.weight" }
    vector.append(("base_model.model.model.layers.0.q_proj.lora_A.weight", try TensorData(Tensor<Float>(zeros: [6]))))
    try expectLoadError(
      {
        .invalidTensorShape(
          file: Self.weights($0), key: "base_model.model.model.layers.0.q_proj.lora_A.weight", shape: [6],
          reason: "a LoRA factor is a matrix with positive extents")
      }, tensors: vector)
  }

  @Test func tensorsThatAreNotLoRAFactorsAreNamed() throws {
    let tensors = try Self.standardTensors()
    let small = try TensorData(Tensor<Float>(zeros: [2, 3]))
    for (key, reason) in [
      ("model.layers.0.q_proj.lora_A.weight", "not under the PeftModel prefix 'base_model.model.'"),
      ("base_model.model.model.layers.0.q_proj.lora_magnitude_vector", "a DoRA magnitude vector; DoRA is not implemented"),
      (
        "base_model.model.model.embed_tokens.lora_embedding_A",
        "an embedding adapter; only adapters on linear modules are implemented"
      ),
      ("base_model.model.model.layers.0.q_proj.bias", "not a LoRA factor (<module>.lora_A.weight or <module>.lora_B.weight)"),
      ("base_model.model.lora_A.weight", "not a LoRA factor (<module>.lora_A.weight or <module>.lora_B.weight)"),
    ] {
      try expectLoadError(
        { .unexpectedTensor(file: Self.weights($0), key: key, reason: reason) }, tensors: tensors + [(key, small)])
    }
    let integers = try TensorData(dtype: .int32, shape: [1, 3], bytes: [UInt8](repeating: 0, count: 12))
    try expectLoadError(
      {
        .unexpectedTensor(
          file: Self.weights($0), key: "base_model.model.model.layers.2.q_proj.lora_A.weight",
          reason: "its elements are I32; factors are F32, F16, BF16 or F64")
      }, tensors: tensors + [("base_model.model.model.layers.2.q_proj.lora_A.weight", integers)])
    try expectLoadError(
      { .moduleNotTargeted(file: Self.config($0), module: "model.k_proj") },
      tensors: tensors + [
        ("base_model.model.model.k_proj.lora_A.weight", small),
        ("base_model.model.model.k_proj.lora_B.weight", try TensorData(Tensor<Float>(zeros: [4, 2]))),
      ])
  }
}
