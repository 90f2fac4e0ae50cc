import Foundation
import Monarch
import Pretrained
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// Compression of the tiny BERT and GPT-2 folders in `Fixtures/compress` (made by `make_fixtures.py`).
@Suite struct CompressedModelFolderTests {
  func fixture(_ name: String) throws -> URL {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/compress/\(name)", withExtension: nil))
    return url
  }

  /// The bytes of every file under `folder`, by relative path.
  func snapshot(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = try #require(FileManager.default.enumerator(atPath: folder.path))
    while let relative = enumerator.nextObject() as? String {
      var isFolder: ObjCBool = false
      let url = folder.appendingPathComponent(relative)
      if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
        files[relative] = try Data(contentsOf: url)
      }
    }
    return files
  }

  /// Compresses `name` with `rule` into a fresh folder; checks every compressed layer against the library's
  /// projection of the same (transposed, for Conv1D) tensor and every other tensor against the input.
  func compressAndCheck(_ name: String, rule: MonarchLayoutRule) throws -> (
    plan: MonarchCompressionPlan, output: SafetensorsFile, configuration: [String: Any], reports: [CompressedLayerReport]
  ) {
    let input = try fixture(name)
    let before = try snapshot(input)
    let dense = try CompressedModelFolder(contentsOf: input)
    let plan = try MonarchCompressionPlan(file: dense.weights, catalog: dense.catalog, rule: rule, prefix: .module)
    let temporary = try TemporaryFolder()
    let outputURL = temporary.file("out")
    let reports = try dense.write(plan, to: outputURL, settings: ["blocks": "4"])
    #expect(try snapshot(input) == before, "the input folder changed")
    #expect(try temporary.contents() == ["out"], "a temporary folder was left behind")
    let output = try SafetensorsFile(contentsOf: outputURL.appendingPathComponent("model.safetensors"))
    let compressed = Set(plan.layers.map(\.tensor))
    for info in dense.weights.tensors where !compressed.contains(info.name) {
      #expect(try output.tensorData(named: info.name) == (try dense.weights.tensorData(named: info.name)), "\(info.name)")
    }
    for layer in plan.layers {
      #expect(!output.names.contains(layer.tensor))
      let stored = try dense.weights.tensorData(named: layer.tensor).tensor(as: Float.self)
      let w = layer.inputMajor ? stored.transposed() : stored
      let reference = try project(w, onto: layer.layout)
      let read = try MonarchCheckpoint.read(Float.self, from: output, prefix: layer.prefix)
      #expect(read.layout == layer.layout)
      let check = discrepancy(read.dense(), reference.matrix.dense(), absoluteTolerance: 1e-6, relativeTolerance: 1e-6)
      #expect(check.isWithinTolerance, "\(layer.tensor): \(check)")
      let relative = (read.dense() - w).frobeniusNorm / w.frobeniusNorm
      let report = try #require(reports.first { $0.layer == layer })
      #expect(abs(relative - report.relativeError) < 1e-5, "\(layer.tensor)")
    }
    let files = try snapshot(outputURL)
    for (relative, data) in before where relative != "model.safetensors" && relative != "config.json" {
      #expect(files[relative] == data, "\(relative) not copied")
    }
    let configurationData = try #require(files["config.json"])
    let configuration = try #require(try JSONSerialization.jsonObject(with: configurationData) as? [String: Any])
    temporary.cleanUp()
    return (plan, output, configuration, reports)
  }

  @Test func tinyBERTLinearLayersBecomeFactorsAndEmbeddingsStay() throws {
    let (plan, output, configuration, _) = try compressAndCheck("tiny-bert", rule: .blocks(4, rank: nil))
    let linear = (0..<2).flatMap { i in
      ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
       "intermediate.dense", "output.dense"].map { "encoder.layer.\(i).\($0)" }
    } + ["pooler.dense"]
    #expect(Set(plan.layers.map(\.prefix)) == Set(linear))
    #expect(plan.layers.allSatisfy { !$0.inputMajor && $0.tensor == $0.prefix + ".weight" })
    #expect(output.names.contains("encoder.layer.0.attention.self.query.w1"))
    #expect(output.names.contains("encoder.layer.0.attention.self.query.bias"))
    #expect(output.metadata["encoder.layer.0.intermediate.dense.out_features"] == "64")
    let lookups = Set(plan.notes.filter { $0.reason == .lookup }.map(\.tensor))
    #expect(
      lookups == [
        "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
      ])
    #expect(configuration["model_type"] as? String == "bert" && configuration["hidden_size"] as? Int == 32)
    let section = try #require(configuration["structml_monarch"] as? [String: Any])
    let layers = try #require(section["layers"] as? [String: [String: Any]])
    #expect(Set(layers.keys) == Set(linear))
    let query = try #require(layers["encoder.layer.0.attention.self.query"])
    #expect(query["in_blocks"] as? Int == 4 && query["rank"] as? Int == 2 && query["stored_input_major"] as? Bool == false)
    #expect(section["dense_parameters"] as? Int == plan.denseParameters)
    #expect(plan.monarchParameters < plan.denseParameters)
  }

  @Test func tinyGPT2Conv1DWeightsAreTransposedBeforeProjection() throws {
    let (plan, _, configuration, _) = try compressAndCheck("tiny-gpt2", rule: .blocks(4, rank: nil))
    let names = (0..<2).flatMap { i in ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].map { "h.\(i).\($0)" } }
    #expect(Set(plan.layers.map(\.prefix)) == Set(names))
    #expect(plan.layers.allSatisfy { $0.inputMajor })
    let attention = try #require(plan.layers.first { $0.prefix == "h.0.attn.c_attn" })
    #expect(attention.layout.outFeatures == 96 && attention.layout.inFeatures == 32)
    #expect(Set(plan.notes.filter { $0.reason == .lookup }.map(\.tensor)) == ["wte.weight", "wpe.weight"])
    let section = try #require(configuration["structml_monarch"] as? [String: Any])
    let layers = try #require(section["layers"] as? [String: [String: Any]])
    #expect(layers["h.1.mlp.c_fc"]?["stored_input_major"] as? Bool == true)
    #expect(layers["h.1.mlp.c_fc"]?["out_features"] as? Int == 128)
  }

  @Test func aBudgetKeepsEachLayerWithinItAndPicksTheLeastError() throws {
    let (plan, _, _, reports) = try compressAndCheck("tiny-bert", rule: .budget(fraction: 0.5, blocks: [2, 4, 8]))
    let dense = try CompressedModelFolder(contentsOf: try fixture("tiny-bert"))
    for layer in plan.layers {
      let (rows, columns) = (layer.layout.outFeatures, layer.layout.inFeatures)
      #expect(layer.layout.parameterCount <= rows * columns / 2, "\(layer.tensor)")
      // Every other block count at its largest rank within budget has an exact error at least as large.
      let w = try dense.weights.tensorData(named: layer.tensor).tensor(as: Float.self)
      let chosen = try exactProjectionError(w, layout: layer.layout)
      for blocks in [2, 4, 8] {
        let one = try MonarchLayout(inFeatures: columns, outFeatures: rows, blocks: blocks, rank: 1)
        let rank = min(min(one.inBlockSize, one.outBlockSize), rows * columns / 2 / one.parameterCount)
        guard rank >= 1 else { continue }
        let other = try MonarchLayout(inFeatures: columns, outFeatures: rows, blocks: blocks, rank: rank)
        #expect(chosen <= (try exactProjectionError(w, layout: other)) + 1e-9, "\(layer.tensor) vs \(blocks) blocks")
      }
      let report = try #require(reports.first { $0.layer == layer })
      #expect(abs(report.error - chosen) <= 1e-4 * max(1, chosen))
    }
    #expect(plan.monarchParameters <= plan.denseParameters / 2)
  }

  @Test func settingsThatKeepAsManyParametersAsDenseAreRefused() throws {
    let dense = try CompressedModelFolder(contentsOf: try fixture("tiny-bert"))
    for rule in [MonarchLayoutRule.blocks(1, rank: nil), .blocks(2, rank: 12)] {
      #expect {
        try MonarchCompressionPlan(file: dense.weights, catalog: dense.catalog, rule: rule, prefix: .module)
      } throws: { error in
        guard case ModelCompressionError.noLayerCompressed(let notes) = error else { return false }
        return notes.contains {
          if case .leftDense(.notSmaller(_, let parameters, let denseCount)) = $0.reason {
            return parameters >= denseCount
          }
          return false
        }
      }
    }
  }

  @Test func anIncludePatternMatchingNothingIsAnErrorListingCandidates() throws {
    let dense = try CompressedModelFolder(contentsOf: try fixture("tiny-bert"))
    let selection = MonarchCompressionPlan.Selection(pattern: "decoder") { $0.contains("decoder") }
    #expect {
      try MonarchCompressionPlan(
        file: dense.weights, catalog: dense.catalog, rule: .blocks(4, rank: nil), selection: selection,
        prefix: .module)
    } throws: { error in
      guard case ModelCompressionError.includeMatchedNothing(let pattern, let candidates) = error else { return false }
      return pattern == "decoder" && candidates.contains("encoder.layer.0.attention.self.query.weight")
        && "\(error)".contains("'decoder'")
    }
  }

  @Test func layersALayoutDoesNotFitAreNotedAndTheRestCompressed() throws {
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    var generator = SeededGenerator(seed: 7)
    try SafetensorsWriter.write(
      [
        ("a.weight", try TensorData(Tensor<Float>.normal(shape: [16, 16], using: &generator))),
        ("b.weight", try TensorData(Tensor<Float>.normal(shape: [8, 3], using: &generator))),
        ("embed_tokens.weight", try TensorData(Tensor<Float>.normal(shape: [10, 16], using: &generator))),
      ], to: temporary.file("m.safetensors"))
    let file = try SafetensorsFile(contentsOf: temporary.file("m.safetensors"))
    let plan = try MonarchCompressionPlan(file: file, catalog: .generic, rule: .blocks(4, rank: nil), prefix: .tensor)
    #expect(plan.layers.map(\.tensor) == ["a.weight"] && plan.layers[0].prefix == "a.weight")
    #expect(plan.notes.map(\.tensor) == ["b.weight", "embed_tokens.weight"])
    guard case .leftDense(.layoutDoesNotFit(let reason)) = plan.notes[0].reason else {
      Issue.record("\(plan.notes[0])")
      return
    }
    #expect(reason.contains("in-blocks 4 must be in 1...3"), "\(reason)")
    // Named by the pattern, a lookup table is compressed.
    let named = try MonarchCompressionPlan(
      file: file, catalog: .generic, rule: .blocks(2, rank: 1),
      selection: .init(pattern: "embed") { $0.hasPrefix("embed") }, prefix: .tensor)
    #expect(named.layers.map(\.tensor) == ["embed_tokens.weight"])
  }

  @Test func anExistingOutputOrTheInputItselfIsRefusedAndNothingIsWritten() throws {
    let input = try fixture("tiny-bert")
    let dense = try CompressedModelFolder(contentsOf: input)
    let plan = try MonarchCompressionPlan(
      file: dense.weights, catalog: dense.catalog, rule: .blocks(4, rank: nil), prefix: .module)
    let before = try snapshot(input)
    #expect(throws: ModelCompressionError.outputIsInput(path: input.standardizedFileURL.path, input: input.path)) {
      _ = try dense.write(plan, to: input)
    }
    let temporary = try TemporaryFolder()
    defer { temporary.cleanUp() }
    try FileManager.default.createDirectory(at: temporary.file("taken"), withIntermediateDirectories: false)
    try Data("keep".utf8).write(to: temporary.file("taken/notes.txt"))
    #expect(throws: ModelCompressionError.self) { _ = try dense.write(plan, to: temporary.file("taken")) }
    #expect(try Data(contentsOf: temporary.file("taken/notes.txt")) == Data("keep".utf8))
    #expect(try temporary.contents() == ["taken"])
    #expect(try snapshot(input) == before)
    // A compressed folder is not compressed again.
    _ = try dense.write(plan, to: temporary.file("once"))
    #expect(throws: PretrainedModelError.self) { try CompressedModelFolder(contentsOf: temporary.file("once")) }
  }
}
