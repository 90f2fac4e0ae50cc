import Foundation
import StructuredMLCLI
import TensorCore
import TensorFiles
import Testing

@Suite("structml probmap and bench probmap")
struct ProbabilityMapsCommandTests {
  static func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) {
    let console = Console.capturing()
    let status = StructuredMLTool.run(arguments, console: console)
    return (status, console.standardOutput, console.standardError)
  }

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
    #expect(maps.first?["map"] as? String == "softmax")
    #expect(maps.first?["forward_ratio_to_softmax"] as? Double == 1)
    for name in ["sparsemax", "entmax15", "taylor", "logsoftmax"] {
      let entry = try #require(maps.first { $0["map"] as? String == name })
      #expect((entry["forward_seconds"] as? Double ?? 0) > 0 && (entry["forward_backward_seconds"] as? Double ?? 0) > 0)
    }
  }
}
