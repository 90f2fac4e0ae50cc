import Foundation
import Monarch
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

/// `structml monarch compress --model DIR` on a small BERT-layout folder written here.
@Suite("structml monarch compress --model", .serialized)
struct MonarchCompressFolderCommandTests {
  let folder: TemporaryFolder
  let model: URL

  init() throws {
    folder = try TemporaryFolder()
    model = folder.file("bert")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: false)
    try Data(#"{"model_type": "bert", "hidden_size": 16, "layer_norm_eps": 1e-12}"#.utf8)
      .write(to: model.appendingPathComponent("config.json"))
    try Data("[PAD]\n[UNK]\n".utf8).write(to: model.appendingPathComponent("vocab.txt"))
    var generator = SeededGenerator(seed: 91)
    let tensors: [(String, [Int])] = [
      ("embeddings.word_embeddings.weight", [20, 16]), ("embeddings.token_type_embeddings.weight", [2, 16]),
      ("encoder.layer.0.attention.self.query.weight", [16, 16]), ("encoder.layer.0.attention.self.query.bias", [16]),
      ("encoder.layer.0.intermediate.dense.weight", [32, 16]), ("encoder.layer.0.intermediate.dense.bias", [32]),
    ]
    try SafetensorsWriter.write(
      try tensors.map { ($0.0, try TensorData(Tensor<Float>.normal(shape: $0.1, using: &generator))) },
      metadata: ["format": "pt"], to: model.appendingPathComponent("model.safetensors"))
  }

  func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) { runInProcess(arguments) }

  func compress(_ options: [String], to name: String = "out") -> (status: Int32, out: String, error: String) {
    run(["monarch", "compress", "--model", model.path, "--output", folder.file(name).path] + options)
  }

  @Test func compressesTheLinearLayersSkipsEmbeddingsAndCopiesTheRest() throws {
    defer { folder.cleanUp() }
    let result = compress(["--blocks", "4", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    let layers = try #require(report["layers"] as? [[String: Any]])
    #expect(layers.compactMap { $0["prefix"] as? String }.sorted() == [
      "encoder.layer.0.attention.self.query", "encoder.layer.0.intermediate.dense",
    ])
    #expect(layers.allSatisfy { $0["lowrank_relative_error"] == nil }, "the low-rank baseline is opt-in")
    #expect(result.error.contains("'embeddings.token_type_embeddings.weight': lookup table"), "\(result.error)")
    let out = folder.file("out")
    #expect(try Data(contentsOf: out.appendingPathComponent("vocab.txt")) == Data("[PAD]\n[UNK]\n".utf8))
    let weights = try SafetensorsFile(contentsOf: out.appendingPathComponent("model.safetensors"))
    #expect(MonarchCheckpoint.layers(in: weights) == ["encoder.layer.0.attention.self.query", "encoder.layer.0.intermediate.dense"])
    #expect(weights.names.contains("embeddings.token_type_embeddings.weight"))
    let configuration = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any])
    #expect(configuration["hidden_size"] as? Int == 16 && configuration["structml_monarch"] is [String: Any])

    let compared = compress(["--blocks", "4", "--compare-lowrank", "--json"], to: "out2")
    #expect(compared.status == 0, "\(compared.error)")
    #expect(compared.out.contains("lowrank_relative_error"))
    // The output folder exists now: refused, and left as it is.
    let again = compress(["--blocks", "4"])
    #expect(again.status == 1 && again.error.contains(out.path), "\(again.error)")
    #expect(try SafetensorsFile(contentsOf: out.appendingPathComponent("model.safetensors")).names == weights.names)
    let onto = run(["monarch", "compress", "--model", model.path, "--output", model.path, "--blocks", "4"])
    #expect(onto.status == 1, "\(onto.error)")
    #expect(try folder.contents() == ["bert", "out", "out2"])
  }

  @Test func settingsThatKeepMoreParametersThanDenseAreRefusedNamingTheFlags() throws {
    defer { folder.cleanUp() }
    for options in [["--blocks", "1"], ["--blocks", "2", "--rank", "8"]] {
      let result = compress(options)
      #expect(result.status == 2, "\(options): \(result.error)")
      #expect(result.error.contains("'\(options.joined(separator: " "))'"), "\(result.error)")
      #expect(result.error.contains("not fewer than the dense"), "\(result.error)")
    }
    #expect(try folder.contents() == ["bert"])
  }

  @Test func anIncludeMatchingNothingAndBadBudgetsAreUsageErrors() throws {
    defer { folder.cleanUp() }
    let none = compress(["--blocks", "4", "--include", "decoder"])
    #expect(none.status == 2 && none.error.contains("'decoder'"), "\(none.error)")
    #expect(none.error.contains("'encoder.layer.0.attention.self.query.weight'"), "\(none.error)")
    for options in [["--keep", "1.5"], ["--keep", "0"], ["--keep", "0.5", "--rank", "2"], []] {
      let result = compress(options)
      #expect(result.status == 2, "\(options): \(result.error)")
    }
    let both = run([
      "monarch", "compress", "--model", model.path, "--input", model.appendingPathComponent("model.safetensors").path,
      "--output", folder.file("x").path, "--blocks", "4",
    ])
    #expect(both.status == 2 && both.error.contains("exactly one of --model"), "\(both.error)")
    #expect(try folder.contents() == ["bert"])
  }

  @Test func aBudgetKeepsAtMostTheFractionOfEachLayer() throws {
    defer { folder.cleanUp() }
    let result = compress(["--keep", "0.5", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    for layer in try #require(report["layers"] as? [[String: Any]]) {
      let kept = try #require(layer["parameters"] as? Int)
      let dense = try #require(layer["dense_parameters"] as? Int)
      #expect(kept <= dense / 2 && kept > dense / 4, "\(layer)")
    }
    let monarch = try #require(report["monarch_parameters"] as? Int)
    #expect(monarch <= (try #require(report["dense_parameters"] as? Int)) / 2)
  }
}
