import Distributed
import Foundation
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

/// Runs `structml` with `arguments` on `ranks` threaded ranks, each on its own capturing console: every rank's
/// exit status and what it printed.
func runOnRanks(_ ranks: Int, _ arguments: [String]) -> [(status: Int32, out: String, error: String)] {
  ThreadedProcessGroup.run(ranks: ranks) { group in
    let console = Console.capturing(processGroup: group)
    let status = StructuredMLTool.run(arguments, console: console)
    return (status, console.standardOutput, console.standardError)
  }.map { result in (try? result.get()) ?? (-1, "", "the rank's body threw") }
}

@Suite("structml commands over threaded ranks", .serialized)
struct DistributedCommandTests {
  let folder: URL

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("distributed-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func trainLosses(_ run: String) throws -> [Double] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path("\(run)/loss.json")))
    let curve = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(curve["train_loss"] as? [Double])
  }

  func expectClose(_ a: [Double], _ b: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count && !a.isEmpty, sourceLocation: sourceLocation)
    for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * abs(y), "\(x) against \(y)", sourceLocation: sourceLocation) }
  }

  @Test func trainOverTwoRanksWritesTheSingleProcessLossCurveFromRankZeroOnly() throws {
    let common = ["train", "--model", "transformer", "--width", "16", "--layers", "1", "--heads", "2", "--context", "8",
      "--batch", "6", "--steps", "4", "--threads", "1", "--json"]
    let single = runOnRanks(1, common + ["--output", path("single")])
    #expect(single[0].status == 0, "\(single[0].error)")
    let pair = runOnRanks(2, common + ["--output", path("pair")])
    #expect(pair.map(\.status) == [0, 0], "\(pair.map(\.error))")
    #expect(!pair[0].out.isEmpty && pair[1].out.isEmpty && pair[1].error.isEmpty)
    let report = try #require(try JSONSerialization.jsonObject(with: Data(pair[0].out.utf8)) as? [String: Any])
    #expect(report["ranks"] as? Int == 2 && (report["collective_seconds"] as? Double ?? -1) >= 0)
    expectClose(try trainLosses("pair"), try trainLosses("single"))

    // Stopped after step 2 on two ranks, resumed on three: the curve of the uninterrupted run.
    let first = runOnRanks(2, common + ["--output", path("resumed"), "--until", "2"])
    #expect(first.map(\.status) == [0, 0], "\(first.map(\.error))")
    let second = runOnRanks(3, ["train", "--output", path("resumed"), "--resume", "--threads", "1", "--json"])
    #expect(second.map(\.status) == [0, 0, 0], "\(second.map(\.error))")
    expectClose(try trainLosses("resumed"), try trainLosses("single"))
  }

  @Test func loraGAFineTuningOverTwoRanksWritesTheSingleProcessAdapter() throws {
    let base = runOnRanks(
      1,
      ["train", "--model", "transformer", "--width", "16", "--layers", "1", "--heads", "2", "--context", "8",
        "--batch", "6", "--steps", "4", "--threads", "1", "--output", path("base")])
    try #require(base[0].status == 0, "\(base[0].error)")
    let finetune = ["lora", "finetune", "--base", path("base"), "--init", "lora-ga", "--rank", "2", "--steps", "3",
      "--gradient-batches", "3", "--threads", "1", "--json"]
    let single = runOnRanks(1, finetune + ["--output", path("adapter1")])
    #expect(single[0].status == 0, "\(single[0].error)")
    let pair = runOnRanks(2, finetune + ["--output", path("adapter2")])
    #expect(pair.map(\.status) == [0, 0], "\(pair.map(\.error))")
    #expect(pair[1].out.isEmpty)
    let (a, b) = try [path("adapter1"), path("adapter2")].map {
      try SafetensorsFile(contentsOf: URL(fileURLWithPath: $0).appendingPathComponent("adapter_model.safetensors"))
    }.pair()
    #expect(a.names.sorted() == b.names.sorted() && !a.names.isEmpty)
    for name in a.names {
      let (x, y) = (try a.tensorData(named: name).tensor(as: Float.self), try b.tensorData(named: name).tensor(as: Float.self))
      let largest = zip(x.scalars, y.scalars).map { abs($0 - $1) }.max() ?? 0
      #expect(largest <= 1e-3, "\(name): \(largest)")
    }
  }

  @Test func aBatchSmallerThanTheRanksFailsOnEveryRank() {
    let results = runOnRanks(3, ["train", "--batch", "2", "--steps", "2", "--output", path("small")])
    #expect(results.map(\.status) == [2, 2, 2])
    #expect(results.allSatisfy { $0.error.contains("batch_size") })
    #expect(results[1].error.hasPrefix("rank 1: "))
    #expect(!FileManager.default.fileExists(atPath: path("small")))
  }

  /// A checkpoint of five weights of three shapes (one in bfloat16), a bias and a float64 embedding.
  func writeCheckpoint(_ name: String) throws {
    var generator = SeededGenerator(seed: 61)
    var tensors: [(String, TensorData)] = []
    for (index, shape) in [[24, 32], [32, 32], [16, 32], [24, 32], [32, 16]].enumerated() {
      let weight = Tensor<Float>.normal(shape: shape, using: &generator)
      tensors.append(("layers.\(index).weight", try index == 2 ? TensorData(weight, as: .bfloat16) : TensorData(weight)))
    }
    tensors.append(("layers.0.bias", try TensorData(Tensor<Float>.normal(shape: [24], using: &generator))))
    tensors.append(("embed.weight", try TensorData(Tensor<Double>.normal(shape: [10, 8], using: &generator))))
    try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: URL(fileURLWithPath: path(name)))
  }

  func compress(ranks: Int, into output: String, extra: [String] = []) -> [(status: Int32, out: String, error: String)] {
    runOnRanks(
      ranks,
      ["monarch", "compress", "--input", path("model.safetensors"), "--output", path(output), "--blocks", "2", "--rank", "1",
        "--include", "^layers\\."] + extra)
  }

  @Test func compressOverRanksWritesTheSingleProcessFileByteForByte() throws {
    try writeCheckpoint("model.safetensors")
    let single = compress(ranks: 1, into: "single.safetensors", extra: ["--json"])
    #expect(single[0].status == 0, "\(single[0].error)")
    let expected = try Data(contentsOf: URL(fileURLWithPath: path("single.safetensors")))
    let singleRows = try #require(try JSONSerialization.jsonObject(with: Data(single[0].out.utf8)) as? [[String: Any]])
    let singleNames = singleRows.compactMap { $0["name"] as? String }
    for ranks in [2, 3, 5] {
      let results = compress(ranks: ranks, into: "ranks\(ranks).safetensors", extra: ["--json"])
      #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.error))")
      #expect(try Data(contentsOf: URL(fileURLWithPath: path("ranks\(ranks).safetensors"))) == expected)
      // Rank 0 prints the report and one line per rank; the others print nothing.
      let rows = try #require(try JSONSerialization.jsonObject(with: Data(results[0].out.utf8)) as? [[String: Any]])
      #expect(rows.compactMap { $0["name"] as? String } == singleNames && singleNames.count == 5)
      #expect((0..<ranks).allSatisfy { results[0].error.contains("rank \($0): ") })
      #expect(results.dropFirst().allSatisfy { $0.out.isEmpty && $0.error.isEmpty })
    }
  }

  @Test func compressWithMoreRanksThanLayersFailsOnEveryRankWithoutOutput() throws {
    try writeCheckpoint("model.safetensors")
    let results = compress(ranks: 6, into: "never.safetensors")
    #expect(results.map(\.status) == Array(repeating: 1, count: 6))
    #expect(results.allSatisfy { $0.error.contains("6 ranks but only 5 layers") })
    #expect(!FileManager.default.fileExists(atPath: path("never.safetensors")))
  }

  @Test func aRankThatFailsIsNamedOnEveryRank() {
    let results = ThreadedProcessGroup.run(ranks: 3) { group in
      try RankAgreement.onEveryRank(group) {
        if group.rank == 1 { throw CommandError.failure("cannot read model.safetensors: permission denied") }
        return group.rank
      }
    }
    for result in results {
      #expect {
        try result.get()
      } throws: { error in
        guard case CommandError.failure(let message) = error else { return false }
        return message == "rank 1: cannot read model.safetensors: permission denied"
      }
    }
  }
}

extension Array {
  /// The two elements of a two-element array.
  fileprivate func pair() -> (Element, Element) { (self[0], self[1]) }
}
