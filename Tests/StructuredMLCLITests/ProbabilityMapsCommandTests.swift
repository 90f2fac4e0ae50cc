import Foundation
import StructuredMLCLI
import TensorCore
import TensorFiles
import Testing

@Suite("structml probmap and bench probmap")
struct ProbabilityMapsCommandTests {
  static func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) { runInProcess(arguments) }

  static func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("probmap-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test func sparsemaxOfAnNpyFile() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("x.npy")
    let output = folder.appendingPathComponent("p.npy")
    try NPYFile.write(
      try TensorData(Tensor<Float>(shape: [2, 3], scalars: [-2, 0, 0.5, 0, 0, -.infinity])), to: input)
    let result = Self.run(["probmap", "--map", "sparsemax", "--input", input.path, "--output", output.path, "--json"])
    #expect(result.status == 0, "\(result.error)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    #expect(json["rows"] as? Int == 2)
    #expect(json["mean_support"] as? Double == 2)
    let p = try NPYFile.read(output).tensor(as: Float.self)
    #expect(p.shape == [2, 3] && p.scalars == [0, 0.25, 0.75, 0.5, 0.5, 0])
  }

  @Test func entmaxAlphaAndDoubleInput() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("x.npy")
    let output = folder.appendingPathComponent("p.npy")
    try NPYFile.write(try TensorData(Tensor<Double>(shape: [1, 3], scalars: [-2, 0, 0.5])), to: input)
    let result = Self.run(["probmap", "--map", "entmax", "--alpha", "4", "--input", input.path, "--output", output.path])
    #expect(result.status == 0, "\(result.error)")
    #expect(try NPYFile.read(output).tensor(as: Double.self).scalars == [0, 0, 1])
  }

  @Test func badInputsAreReported() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("x.npy")
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [1, 3], scalars: [1, 2, 3])), to: input)
    let output = folder.appendingPathComponent("p.npy").path
    let badAlpha = Self.run(["probmap", "--map", "entmax", "--alpha", "0.5", "--input", input.path, "--output", output])
    #expect(badAlpha.status == 2 && badAlpha.error.contains("--alpha"))
    let badMap = Self.run(["probmap", "--map", "argmax", "--input", input.path, "--output", output])
    #expect(badMap.status == 2 && badMap.error.contains("--map"))
    let missing = folder.appendingPathComponent("missing.npy").path
    let noFile = Self.run(["probmap", "--map", "softmax", "--input", missing, "--output", output])
    #expect(noFile.status == 1 && noFile.error.contains("missing.npy"))
    #expect(!FileManager.default.fileExists(atPath: output))
  }

  @Test func benchReportsEveryMapAgainstSoftmax() throws {
    let result = Self.run(["bench", "probmap", "--rows", "4", "--n", "64", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    let maps = try #require(json["maps"] as? [[String: Any]])
    let softmax = try #require(maps.first)
    #expect(softmax["map"] as? String == "softmax")
    let baseline = try #require(softmax["forward_seconds"] as? Double)
    for name in ["sparsemax", "entmax15", "taylor", "logsoftmax"] {
      let entry = try #require(maps.first { $0["map"] as? String == name })
      let seconds = try #require(entry["forward_seconds"] as? Double)
      let ratio = try #require(entry["forward_ratio_to_softmax"] as? Double)
      #expect(abs(ratio - seconds / baseline) <= 1e-9 * ratio, "\(name): the ratio is its time over softmax's")
    }
    // Supports are properties of the maps, not of the timing: softmax is dense, top-k keeps n/16 = 4.
    #expect(softmax["mean_support"] as? Double == 64)
    #expect(maps.first { $0["map"] as? String == "topk (k=n/16)" }?["mean_support"] as? Double == 4)
    let sparse = try #require(maps.first { $0["map"] as? String == "sparsemax" }?["mean_support"] as? Double)
    #expect(sparse >= 1 && sparse < 64)
  }

  /// Sizes whose matrices exceed physical memory are refused before anything is allocated.
  @Test func benchRefusesSizesBeyondMemory() {
    let result = Self.run(["bench", "probmap", "--rows", "1000000", "--n", "1000000"])
    #expect(result.status == 2, "\(result.error)")
    #expect(result.error.contains("TiB") && result.error.contains("memory"), "\(result.error)")
    let extra = Self.run(["bench", "probmap", "--rows", "4", "--n", "64", "surplus"])
    #expect(extra.status == 2 && extra.error.contains("surplus"))
  }

  /// Every parameter option is refused, naming it, by the maps it does not apply to.
  @Test func optionsThatDoNotApplyAreRefused() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("x.npy")
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [1, 3], scalars: [1, 2, 3])), to: input)
    let output = folder.appendingPathComponent("p.npy").path
    let applicable = ["alpha": ["entmax"], "k": ["topk"], "temperature": ["softmax", "logsoftmax", "topk"]]
    let values = ["alpha": "1.5", "k": "2", "temperature": "2"]
    for map in ["softmax", "logsoftmax", "taylor", "topk", "sparsemax", "entmax15", "entmax"] {
      for (option, maps) in applicable {
        let result = Self.run(
          ["probmap", "--map", map, "--\(option)", values[option]!, "--input", input.path, "--output", output])
        if maps.contains(map) {
          #expect(result.status == 0, "--map \(map) --\(option): \(result.error)")
        } else {
          #expect(result.status == 2 && result.error.contains("--\(option)"), "--map \(map) --\(option): \(result.error)")
        }
      }
    }
    let extra = Self.run(["probmap", "--map", "softmax", "--input", input.path, "--output", output, "surplus"])
    #expect(extra.status == 2 && extra.error.contains("surplus"))
  }

  /// Legal options at the ends of their range give exact answers, and NaN/+inf scores fail instead of
  /// writing NaN rows.
  @Test func extremeOptionsAndNonFiniteScores() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("x.npy")
    let output = folder.appendingPathComponent("p.npy")
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [1, 3], scalars: [1, 2, 2])), to: input)
    for (temperature, expected) in [("1e300", [Float(1) / 3, 1 / 3, 1 / 3]), ("1e-300", [0, 0.5, 0.5])] as [(String, [Float])] {
      let result = Self.run(
        ["probmap", "--map", "softmax", "--temperature", temperature, "--input", input.path, "--output", output.path])
      #expect(result.status == 0, "\(result.error)")
      #expect(try NPYFile.read(output).tensor(as: Float.self).scalars == expected, "T = \(temperature)")
    }
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [1, 2], scalars: [5e7, 0])), to: input)
    let entmax15 = Self.run(["probmap", "--map", "entmax15", "--input", input.path, "--output", output.path])
    #expect(entmax15.status == 0, "\(entmax15.error)")
    #expect(try NPYFile.read(output).tensor(as: Float.self).scalars == [1, 0])
    try FileManager.default.removeItem(at: output)
    try NPYFile.write(try TensorData(Tensor<Float>(shape: [2, 2], scalars: [0, 1, .infinity, 0])), to: input)
    let nonFinite = Self.run(["probmap", "--map", "sparsemax", "--input", input.path, "--output", output.path])
    #expect(nonFinite.status == 1 && nonFinite.error.contains("row 1"), "\(nonFinite.error)")
    #expect(!FileManager.default.fileExists(atPath: output.path))
  }
}
