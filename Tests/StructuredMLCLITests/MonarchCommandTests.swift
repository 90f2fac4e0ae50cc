import Foundation
import Monarch
import StructuredMLCLI
import TensorCore
import TensorFiles
import TestSupport
import Testing

@Suite("structml monarch commands", .serialized)
struct MonarchCommandTests {
  let folder: URL

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("monarch-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) {
    let console = Console.capturing()
    let status = StructuredMLTool.run(arguments, console: console)
    return (status, console.standardOutput, console.standardError)
  }


  /// Parses the command's JSON output with Foundation.
  func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func projectWritesFactorsThatApplyReproduces() throws {
    // A Kronecker product is exactly Monarch: the projection error must be ~0 and apply must give X Wᵀ.
    var generator = SeededGenerator(seed: 51)
    let a = Tensor<Float>.normal(shape: [4, 4], using: &generator)
    let b = Tensor<Float>.normal(shape: [4, 4], using: &generator)
    let w = Tensor<Float>(shape: [16, 16]) { index in
      let (row, column) = (index / 16, index % 16)
      return a[row / 4, column / 4] * b[row % 4, column % 4]
    }
    try NPYFile.write(try TensorData(w), to: URL(fileURLWithPath: path("w.npy")))
    let projected = run([
      "monarch", "project", "--input", path("w.npy"), "--blocks", "4", "--output", path("f.safetensors"), "--json",
    ])
    #expect(projected.status == 0, "\(projected.error)")
    let report = try parse(projected.out)
    #expect(report["rows"] as? Int == 16 && report["cols"] as? Int == 16)
    #expect(report["in_blocks"] as? Int == 4 && report["rank"] as? Int == 1)
    #expect(report["parameters"] as? Int == 128 && report["dense_parameters"] as? Int == 256)
    #expect(try #require(report["relative_error"] as? Double) < 1e-6)
    #expect(try #require(report["lowrank_relative_error"] as? Double) > 0.01)
    let factors = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("f.safetensors")))
    #expect(try factors.info(named: "w1").shape == [4, 4, 4])
    #expect(factors.metadata["in_blocks"] == "4")

    let x = Tensor<Float>.normal(shape: [5, 16], using: &generator)
    try NPYFile.write(try TensorData(x), to: URL(fileURLWithPath: path("x.npy")))
    let applied = run([
      "monarch", "apply", "--factors", path("f.safetensors"), "--input", path("x.npy"), "--output", path("y.npy"),
    ])
    #expect(applied.status == 0, "\(applied.error)")
    let y = try NPYFile.read(URL(fileURLWithPath: path("y.npy"))).tensor(as: Float.self)
    let check = discrepancy(y, naiveMatmul(x, w.transposed()), absoluteTolerance: 1e-4, relativeTolerance: 1e-4)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func compressReplacesMatchingWeightsAndCopiesTheRest() throws {
    var generator = SeededGenerator(seed: 52)
    let weight = Tensor<Float>.normal(shape: [24, 32], using: &generator)
    let bias = Tensor<Float>.normal(shape: [24], using: &generator)
    let embedding = Tensor<Double>.normal(shape: [10, 8], using: &generator)
    try SafetensorsWriter.write(
      [
        ("layer.weight", try TensorData(weight)), ("layer.bias", try TensorData(bias)),
        ("embed.weight", try TensorData(embedding)),
      ], metadata: ["format": "pt"], to: URL(fileURLWithPath: path("model.safetensors")))
    let result = run([
      "monarch", "compress", "--input", path("model.safetensors"), "--output", path("out.safetensors"),
      "--blocks", "2", "--include", "^layer\\.", "--json",
    ])
    #expect(result.status == 0, "\(result.error)")
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
    #expect(rows.count == 1 && rows.first?["name"] as? String == "layer.weight")
    let out = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("out.safetensors")))
    #expect(Set(out.names) == ["layer.weight.w1", "layer.weight.w2", "layer.bias", "embed.weight"])
    #expect(try out.tensorData(named: "layer.bias") == (try TensorData(bias)))
    #expect(try out.tensorData(named: "embed.weight") == (try TensorData(embedding)))
    #expect(out.metadata["layer.weight.rank"] == "6" && out.metadata["format"] == "pt")
    // The stored factors reproduce the reported error.
    let w1 = try out.tensorData(named: "layer.weight.w1").tensor(as: Float.self)
    let w2 = try out.tensorData(named: "layer.weight.w2").tensor(as: Float.self)
    let m = try MonarchMatrix(w1: w1, w2: w2, inFeatures: 32, outFeatures: 24)
    let relative = (m.dense() - weight).frobeniusNorm / weight.frobeniusNorm
    #expect(abs(relative - (try #require(rows.first?["relative_error"] as? Double))) < 1e-5)
  }

  @Test func badInputsAreNamedAndLeaveNoOutput() throws {
    var generator = SeededGenerator(seed: 53)
    var weight = Tensor<Float>.normal(shape: [8, 8], using: &generator)
    try SafetensorsWriter.write(
      [("a.weight", try TensorData(weight)), ("b.weight", try TensorData(Tensor<Float>(zeros: [8, 3])))],
      to: URL(fileURLWithPath: path("bad-shape.safetensors")))
    let blocks = run([
      "monarch", "compress", "--input", path("bad-shape.safetensors"), "--output", path("never.safetensors"),
      "--blocks", "4",
    ])
    #expect(blocks.status == 1)
    #expect(blocks.error.contains("tensor 'b.weight'") && blocks.error.contains("out-blocks") == false)
    #expect(blocks.error.contains("in-blocks 4 must be in 1...3"), "\(blocks.error)")
    #expect(!FileManager.default.fileExists(atPath: path("never.safetensors")))

    weight[3, 5] = .infinity
    try SafetensorsWriter.write(
      [("a.bias", try TensorData(Tensor<Float>(zeros: [8]))), ("a.weight", try TensorData(weight))],
      to: URL(fileURLWithPath: path("inf.safetensors")))
    let infinite = run([
      "monarch", "compress", "--input", path("inf.safetensors"), "--output", path("never.safetensors"), "--blocks", "2",
    ])
    #expect(infinite.status == 1)
    #expect(infinite.error.contains("tensor 'a.weight'") && infinite.error.contains("inf at row 3, column 5"))
    #expect(!FileManager.default.fileExists(atPath: path("never.safetensors")))

    try NPYFile.write(try TensorData(Tensor<Float>(zeros: [2, 3, 4])), to: URL(fileURLWithPath: path("cube.npy")))
    let cube = run(["monarch", "project", "--input", path("cube.npy"), "--blocks", "2", "--output", path("f.st")])
    #expect(cube.status == 1 && cube.error.contains("must be a 2-D matrix"))
    try NPYFile.write(try TensorData(Tensor<Float>(zeros: [8, 8])), to: URL(fileURLWithPath: path("z.npy")))
    let rank = run([
      "monarch", "project", "--input", path("z.npy"), "--blocks", "2", "--rank", "5", "--output", path("f.st"),
    ])
    #expect(rank.status == 1 && rank.error.contains("rank 5 is above the slice size 4"), "\(rank.error)")
    let missing = run(["monarch", "project", "--input", path("z.npy"), "--output", path("f.st")])
    #expect(missing.status == 2 && missing.error.contains("--blocks"))
  }

  @Test func benchReportsRatiosAgainstItsBaselines() throws {
    let result = run(["bench", "monarch", "--n", "64", "--batch", "32", "--blocks", "8", "--rounds", "1", "--projection", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    for key in [
      "dense_seconds", "monarch_seconds", "dense_gflops", "monarch_gflops", "flop_ratio", "speedup",
      "projection_seconds", "square_gemm_seconds",
    ] {
      #expect((report[key] as? Double ?? 0) > 0, "\(key)")
    }
    #expect(report["flop_ratio"] as? Double == 4)  // 2·64² / (2·2·8·64)
    #expect(try #require(report["error_gap"] as? Double) < 1e-4)
  }

  @Test func experimentReproducesTheSparseAdvantage() throws {
    let result = run(["monarch", "experiment", "--n", "16", "--seeds", "3", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]])
    #expect(rows.count == 5)
    let sparsest = try #require(rows.last)
    #expect(sparsest["density"] as? Double == 0.05)
    let monarch = try #require(sparsest["monarch_mse"] as? Double)
    let lowRank = try #require(sparsest["lowrank_mse"] as? Double)
    #expect(monarch <= lowRank)
  }
}
