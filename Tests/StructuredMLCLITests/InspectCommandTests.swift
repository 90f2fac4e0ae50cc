import Foundation
import StructuredMLCLI
import TensorCore
import TensorFiles
import TestSupport
import Testing

@Suite("structml inspect")
struct InspectCommandTests {
  static func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) {
    let console = Console.capturing()
    let status = StructuredMLTool.run(["inspect"] + arguments, console: console)
    return (status, console.standardOutput, console.standardError)
  }

  /// A checkpoint with metadata, a NaN, a BF16 tensor and an 8-bit float tensor.
  static func writeCheckpoint(to url: URL) throws {
    let weight = Tensor<Float>(shape: [2, 3], scalars: [1, -2, .nan, 4, 0.5, 3])
    let bias = Tensor<Double>(shape: [3], scalars: [0.25, 0.5, 0.75])
    try SafetensorsWriter.write(
      [
        ("layer.weight", try TensorData(weight)), ("layer.bias", try TensorData(bias, as: .bfloat16)),
        ("scale", try TensorData(dtype: .float8E4M3, shape: [2], bytes: [0x38, 0x40])),
      ],
      metadata: ["format": "pt", "step": "12"], to: url)
  }

  @Test func jsonListsEveryTensorWithStatistics() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("model.safetensors")
    try Self.writeCheckpoint(to: url)
    let result = Self.run([url.path, "--stats", "--json"])
    #expect(result.status == 0 && result.error.isEmpty)
    #expect(
      result.out == """
        {"file":"\(url.path)","format":"safetensors","metadata":{"format":"pt","step":"12"},"tensors":[\
        {"name":"layer.weight","dtype":"F32","shape":[2,3],"bytes":24,"min":-2,"max":4,"mean":1.3,"nan_count":1},\
        {"name":"layer.bias","dtype":"BF16","shape":[3],"bytes":6,"min":0.25,"max":0.75,"mean":0.5,"nan_count":0},\
        {"name":"scale","dtype":"F8_E4M3","shape":[2],"bytes":2,"min":null,"max":null,"mean":null,"nan_count":null}]}

        """)
  }

  @Test func tableIsAlignedAndNamesEveryTensor() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("model.safetensors")
    try Self.writeCheckpoint(to: url)
    let result = Self.run([url.path])
    #expect(result.status == 0)
    let lines = result.out.split(separator: "\n").map(String.init)
    #expect(lines.first == "\(url.path): safetensors, 3 tensor(s), 32 bytes of data")
    #expect(lines.contains("  metadata step = 12"))
    let table = Array(lines.drop { !$0.hasPrefix("name") })
    #expect(table.count == 4)
    #expect(table[1] == "layer.weight  F32      [2, 3]     24")
    #expect(table[3] == "scale         F8_E4M3  [2]         2")
    #expect(Set(table.map { $0.count }).count == 1, "columns are aligned: \(table)")
  }

  @Test func npyFilesAreOneTensorNamedAfterTheFile() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("weights.npy")
    try NPYFile.write(try TensorData(Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, -6])), to: url)
    let result = Self.run(["--stats", "--json", url.path])
    #expect(result.status == 0)
    #expect(
      result.out == """
        {"file":"\(url.path)","format":"npy","metadata":{},"tensors":[\
        {"name":"weights","dtype":"F64","shape":[2,2],"bytes":32,"min":-6,"max":3,"mean":0,"nan_count":0}]}

        """)
  }

  @Test(arguments: MalformedTensorFiles.safetensorsCases + MalformedTensorFiles.npyCases)
  func malformedFilesFailWithExitCodeOne(_ broken: MalformedTensorFiles.Case) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = try broken.write(into: folder)
    let result = Self.run([url.path, "--stats"])
    #expect(result.status == 1)
    #expect(result.out.isEmpty)
    #expect(result.error.hasPrefix("structml inspect: \(url.path): \(broken.kind)"), "\(result.error)")
    #expect(result.error.contains(broken.reason), "\(result.error)")
  }

  @Test func missingFileFailsWithExitCodeOne() throws {
    let result = Self.run(["/nonexistent-\(UUID().uuidString).safetensors"])
    #expect(result.status == 1)
    #expect(result.error.contains("cannot open: No such file or directory"))
  }

  @Test(arguments: [
    (["model.bin"], "unknown extension 'bin'"), ([], "expected exactly one FILE, got 0"),
    (["a.npy", "b.npy"], "expected exactly one FILE, got 2"), (["a.npy", "--verbose"], "unknown option '--verbose'"),
  ])
  func usageErrorsExitWithTwo(arguments: [String], message: String) {
    let result = Self.run(arguments)
    #expect(result.status == 2)
    #expect(result.error.contains(message), "\(result.error)")
    #expect(result.error.contains("usage: structml inspect FILE [--stats] [--json]"))
  }
}
