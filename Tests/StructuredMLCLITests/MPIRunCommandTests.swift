import Foundation
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// `structml` itself under `mpirun -np 2` (oversubscribed, as root, loopback transports): what the threaded
/// rank tests check in one process, checked across real processes.
@Suite(
  "structml under mpirun", .serialized,
  .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun"), "mpirun is not installed"))
struct MPIRunCommandTests {
  let folder: TemporaryFolder

  init() throws { folder = try TemporaryFolder() }

  /// Runs `structml arguments` on `ranks` processes (1 runs it without mpirun); its exit and output.
  func run(ranks: Int, _ arguments: [String], logs: String) throws -> (ending: ChildProcess.Ending, out: String, error: String) {
    let logFolder = folder.file(logs)
    try FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)
    let structml = try ChildProcess.structml()
    let child =
      ranks == 1
      ? try ChildProcess(structml, arguments, logsIn: logFolder)
      : try ChildProcess(
        URL(fileURLWithPath: "/usr/bin/mpirun"),
        mpirunArguments(ranks: ranks) + [structml.path] + arguments, logsIn: logFolder)
    let ending = child.wait(seconds: 120)
    return (ending, child.outputText, child.errorText)
  }

  func trainLosses(_ run: String) throws -> [Double] {
    let data = try Data(contentsOf: folder.file("\(run)/loss.json"))
    let curve = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(curve["train_loss"] as? [Double])
  }

  @Test func trainOnTwoProcessesGivesTheSingleProcessLossCurve() throws {
    let common = ["train", "--model", "transformer", "--width", "16", "--layers", "1", "--heads", "2", "--context", "8",
      "--batch", "6", "--steps", "4", "--threads", "1", "--json"]
    let single = try run(ranks: 1, common + ["--output", folder.file("single").path], logs: "single-logs")
    #expect(single.ending == .exited(0), "\(single.error)")
    let pair = try run(ranks: 2, common + ["--output", folder.file("pair").path], logs: "pair-logs")
    #expect(pair.ending == .exited(0), "\(pair.error)")
    // Rank 0 alone prints the report.
    let lines = pair.out.split(separator: "\n")
    #expect(lines.count == 1, "\(pair.out)")
    let report = try #require(try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
    #expect(report["ranks"] as? Int == 2)
    let (a, b) = (try trainLosses("pair"), try trainLosses("single"))
    #expect(a.count == 4 && b.count == 4)
    for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * abs(y), "\(x) against \(y)") }
  }

  @Test func compressOnTwoProcessesWritesTheSingleProcessFileByteForByte() throws {
    var generator = SeededGenerator(seed: 83)
    var tensors: [(String, TensorData)] = []
    for (index, shape) in [[24, 32], [32, 32], [16, 32], [32, 16]].enumerated() {
      tensors.append(("layers.\(index).weight", try TensorData(Tensor<Float>.normal(shape: shape, using: &generator))))
    }
    tensors.append(("layers.0.bias", try TensorData(Tensor<Float>.normal(shape: [24], using: &generator))))
    try SafetensorsWriter.write(tensors, metadata: [:], to: folder.file("model.safetensors"))
    func compress(ranks: Int, into name: String) throws -> (ending: ChildProcess.Ending, out: String, error: String) {
      try run(
        ranks: ranks,
        ["monarch", "compress", "--input", folder.file("model.safetensors").path, "--output", folder.file(name).path,
          "--blocks", "2", "--rank", "1"], logs: name + "-logs")
    }
    let single = try compress(ranks: 1, into: "single.safetensors")
    #expect(single.ending == .exited(0), "\(single.error)")
    let pair = try compress(ranks: 2, into: "pair.safetensors")
    #expect(pair.ending == .exited(0), "\(pair.error)")
    #expect(pair.error.contains("rank 0: ") && pair.error.contains("rank 1: "), "\(pair.error)")
    #expect(try Data(contentsOf: folder.file("pair.safetensors")) == Data(contentsOf: folder.file("single.safetensors")))

    // Five ranks for four layers: every rank fails and nothing is written.
    let tooMany = try compress(ranks: 5, into: "never.safetensors")
    #expect(tooMany.ending == .exited(1), "\(tooMany.error)")
    #expect(tooMany.error.contains("5 ranks but only 4 layers"), "\(tooMany.error)")
    #expect(!FileManager.default.fileExists(atPath: folder.file("never.safetensors").path))
  }
}
