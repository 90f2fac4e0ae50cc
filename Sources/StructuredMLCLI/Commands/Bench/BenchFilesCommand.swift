import Foundation
import TensorCore
import TensorFiles

/// `structml bench files`: reading and writing a safetensors checkpoint through TensorFiles, against
/// reading and writing the same bytes as one plain file in the same run.
enum BenchFilesCommand {
  static let command = Command(
    path: ["bench", "files"],
    summary: "safetensors read/write throughput against plain whole-file reads and writes of the same bytes",
    options: [
      .value("megabytes", "M", "checkpoint size in MiB of F32 data (default 64)"),
      .value("tensors", "K", "number of tensors it is split into (default 16)"),
    ]
  ) { arguments, console in
    let megabytes = try arguments.int("megabytes", default: 64, in: 1...4096)!
    let tensorCount = try arguments.int("tensors", default: 16, in: 1...4096)!
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("structml-bench-\(UUID().uuidString)")
    guard mkdir(folder.path, 0o700) == 0 else {
      let code = errno
      throw CommandError.failure(
        "cannot create the scratch folder \(folder.path): \(TensorFileError.reason(errno: code))")
    }
    defer { try? FileManager.default.removeItem(at: folder) }
    let result: Result
    do {
      result = try measure(megabytes: megabytes, tensorCount: tensorCount, folder: folder)
    } catch let error as TensorFileError {
      throw CommandError.failure(error.description)
    }
    if arguments.flag("json") {
      console.print(result.json.serialized())
    } else {
      console.print("safetensors, \(megabytes) MiB of F32 in \(tensorCount) tensors (medians)")
      console.print("  read, one tensor at a time + F32 conversion: \(formatted(result.readSeconds, digits: 4)) s")
      console.print("  baseline whole-file read:                   \(formatted(result.plainReadSeconds, digits: 4)) s")
      console.print("  read / baseline: \(formatted(result.readSeconds / result.plainReadSeconds, digits: 3))")
      console.print("  streaming write:                            \(formatted(result.writeSeconds, digits: 4)) s")
      console.print("  baseline atomic whole-file write:           \(formatted(result.plainWriteSeconds, digits: 4)) s")
      console.print("  write / baseline: \(formatted(result.writeSeconds / result.plainWriteSeconds, digits: 3))")
    }
  }

  struct Result {
    let megabytes: Int
    let tensorCount: Int
    let readSeconds: Double
    let plainReadSeconds: Double
    let writeSeconds: Double
    let plainWriteSeconds: Double

    var json: JSONValue {
      .object([
        ("megabytes", .int(megabytes)), ("tensors", .int(tensorCount)),
        ("read_seconds", .number(readSeconds)), ("baseline_read_seconds", .number(plainReadSeconds)),
        ("read_ratio", .number(readSeconds / plainReadSeconds)),
        ("write_seconds", .number(writeSeconds)), ("baseline_write_seconds", .number(plainWriteSeconds)),
        ("write_ratio", .number(writeSeconds / plainWriteSeconds)),
      ])
    }
  }

  /// Writes the checkpoint, then times each operation; every timed body is run once untimed first so
  /// that its errors surface as errors.
  static func measure(megabytes: Int, tensorCount: Int, folder: URL) throws -> Result {
    let elements = megabytes * (1 << 20) / 4 / tensorCount
    var generator = SeededGenerator(seed: 3)
    let tensors = try (0..<tensorCount).map { index in
      ("layer\(index).weight", try TensorData(Tensor<Float>.uniform(shape: [elements], in: -1..<1, using: &generator)))
    }
    let checkpoint = folder.appendingPathComponent("model.safetensors")
    let plain = folder.appendingPathComponent("plain.bin")
    let write = { try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: checkpoint) }
    let read = { () throws -> Float in
      let file = try SafetensorsFile(contentsOf: checkpoint)
      var last: Float = 0
      for name in file.names { last += try file.tensorData(named: name).tensor(as: Float.self).scalars[0] }
      return last
    }
    try write()
    let bytes = try Data(contentsOf: checkpoint)
    let plainWrite = { try AtomicFile.write(bytes, to: plain) }
    let plainRead = { () throws -> Int in try Data(contentsOf: plain).count }
    _ = try read()
    try plainWrite()
    _ = try plainRead()
    let samples = 5
    return Result(
      megabytes: megabytes, tensorCount: tensorCount,
      readSeconds: BenchmarkTimer.median(samples: samples) { (try? read()) ?? .nan },
      plainReadSeconds: BenchmarkTimer.median(samples: samples) { (try? plainRead()) ?? -1 },
      writeSeconds: BenchmarkTimer.median(samples: samples) { (try? write()) != nil },
      plainWriteSeconds: BenchmarkTimer.median(samples: samples) { (try? plainWrite()) != nil })
  }
}
