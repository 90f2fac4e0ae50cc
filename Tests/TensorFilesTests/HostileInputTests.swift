import Foundation
import TensorCore
import TestSupport
import Testing

@testable import TensorFiles

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Inputs a hostile or unlucky user can hand the readers: special files, files that change while they are
/// read, truncation at every byte, and headers built to take time, memory or stack.
@Suite("Hostile inputs are refused quickly with a message naming the file")
struct HostileInputTests {
  /// Opens `url` with both readers and returns both errors.
  static func errors(opening url: URL) -> [TensorFileError?] {
    [
      #expect(throws: TensorFileError.self) { _ = try SafetensorsFile(contentsOf: url) },
      #expect(throws: TensorFileError.self) { _ = try NPYFile(contentsOf: url) },
    ]
  }

  @Test func fifosAreRefusedWithoutBlocking() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let fifo = folder.file("pipe.safetensors")
    try #require(mkfifo(fifo.path, 0o600) == 0)
    let clock = ContinuousClock()
    let elapsed = clock.measure {
      for error in Self.errors(opening: fifo) {
        #expect(error == .notARegularFile(fifo.path, "a FIFO (named pipe)"))
      }
    }
    #expect(elapsed < .seconds(5))
  }

  @Test(arguments: ["/dev/zero", "/dev/null"])
  func devicesAreRefused(path: String) {
    for error in Self.errors(opening: URL(fileURLWithPath: path)) {
      #expect(error == .notARegularFile(path, "a character device"))
    }
  }

  @Test func directoriesAreRefused() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    for error in Self.errors(opening: folder.url) { #expect(error == .notARegularFile(folder.url.path, "a directory")) }
  }

  @Test func symbolicLinkLoopsAreAClearError() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let (a, b) = (folder.file("a.safetensors"), folder.file("b.safetensors"))
    try FileManager.default.createSymbolicLink(atPath: a.path, withDestinationPath: b.path)
    try FileManager.default.createSymbolicLink(atPath: b.path, withDestinationPath: a.path)
    for error in Self.errors(opening: a) {
      let message = "\(try #require(error))"
      #expect(message.hasPrefix("\(a.path): cannot open: a loop of symbolic links"), "\(message)")
    }
  }

  @Test func symbolicLinksToRegularFilesAreFollowed() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let target = folder.file("real.npy")
    try NPYFile.write(try TensorData(dtype: .int16, shape: [2], bytes: [1, 0, 2, 0]), to: target)
    let link = folder.file("link.npy")
    try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
    #expect(try NPYFile(contentsOf: link).tensorData().tensor(as: Double.self).scalars == [1, 2])
  }

  /// A checkpoint of one 1024-element F32 tensor, and the file's size.
  static func writeCheckpoint(_ url: URL) throws -> Int {
    let values = Tensor<Float>(shape: [1024], scalars: (0..<1024).map(Float.init))
    try SafetensorsWriter.write([("w", try TensorData(values))], to: url)
    return try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
  }

  @Test func aFileTruncatedAfterOpeningIsAnErrorNotASignal() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("model.safetensors")
    let size = try Self.writeCheckpoint(url)
    let file = try SafetensorsFile(contentsOf: url)
    try #require(truncate(url.path, 100) == 0)
    let expected = TensorFileError.changedWhileReading(url.path, "its size changed from \(size) to 100 bytes")
    #expect(throws: expected) { try file.tensorData(named: "w") }
    #expect(throws: expected) { try file.statistics(named: "w") }
    #expect("\(expected)".hasPrefix("\(url.path): the file changed while it was read"))
  }

  @Test func aFileThatGrowsAfterOpeningIsAnError() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("weights.npy")
    try NPYFile.write(try TensorData(Tensor<Double>(shape: [4], scalars: [1, 2, 3, 4])), to: url)
    let file = try NPYFile(contentsOf: url)
    let handle = try FileHandle(forWritingTo: url)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data([0, 0, 0, 0, 0, 0, 0, 0]))
    try handle.close()
    let error = #expect(throws: TensorFileError.self) { try file.tensorData() }
    guard case .changedWhileReading(let path, let reason) = try #require(error) else {
      Issue.record("expected changedWhileReading, got \(String(describing: error))")
      return
    }
    #expect(path == url.path && reason.contains("size changed"))
    #expect(throws: TensorFileError.self) { try file.statistics() }
  }

  /// Every proper prefix of a valid file is refused as malformed, from memory and (for a sample) from disk.
  @Test func truncationAtEveryByteIsMalformed() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let checkpoint = folder.file("full.safetensors")
    try SafetensorsWriter.write(
      [("a", try TensorData(dtype: .float32, shape: [2], bytes: Array(0..<8))), ("b", try TensorData(dtype: .uint8, shape: [3], bytes: [1, 2, 3]))],
      metadata: ["format": "pt"], to: checkpoint)
    let array = folder.file("full.npy")
    try NPYFile.write(try TensorData(dtype: .int16, shape: [2, 2], bytes: Array(0..<8)), to: array)
    for url in [checkpoint, array] {
      let bytes = [UInt8](try Data(contentsOf: url))
      let isNPY = url.pathExtension == "npy"
      for length in 0..<bytes.count {
        let prefix = Array(bytes[0..<length])
        let error = #expect(throws: TensorFileError.self, "prefix of \(length) bytes") {
          if isNPY { _ = try NPYFile(bytes: prefix, name: "cut.npy") } else { _ = try SafetensorsFile(bytes: prefix, name: "cut.safetensors") }
        }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.hasPrefix("cut.\(url.pathExtension): malformed file: "), "\(message)")
      }
      for length in [0, 7, 9, bytes.count / 2, bytes.count - 1] {
        let cut = folder.file("cut.\(url.pathExtension)")
        try Data(bytes[0..<length]).write(to: cut)
        let error = #expect(throws: TensorFileError.self) {
          if isNPY { _ = try NPYFile(contentsOf: cut) } else { _ = try SafetensorsFile(contentsOf: cut) }
        }
        #expect(error.map { "\($0)".hasPrefix("\(cut.path): malformed file: ") } == true)
      }
    }
  }

  @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
    let depth = 1_000_000
    let json = MalformedTensorFiles.safetensors("{\"a\":" + String(repeating: "[", count: depth), data: [])
    #expect(throws: TensorFileError.malformed("deep.safetensors", "the header is not valid JSON: nesting deeper than 64 levels at byte 68")) {
      try SafetensorsFile(bytes: json, name: "deep.safetensors")
    }
    let npy = MalformedTensorFiles.npy("{'shape': " + String(repeating: "(", count: depth), data: [], major: 2)
    let error = #expect(throws: TensorFileError.self) { try NPYFile(bytes: npy, name: "deep.npy") }
    #expect(error.map { "\($0)".contains("nesting too deep") } == true)
  }

  @Test func headersAboveTheLimitAreRefusedBeforeTheyAreRead() {
    var safetensors = MalformedTensorFiles.safetensors("{}", data: [], declaredLength: UInt64(SafetensorsFile.maximumHeaderLength + 1))
    safetensors += [UInt8](repeating: 0x20, count: SafetensorsFile.maximumHeaderLength + 1)
    #expect(throws: TensorFileError.malformed("big.safetensors", "the header length 100000001 exceeds 100000000 bytes")) {
      try SafetensorsFile(bytes: safetensors, name: "big.safetensors")
    }
    let length = NPYFile.maximumHeaderLength + 1
    let npy = MalformedTensorFiles.npy("{", data: [UInt8](repeating: 0x20, count: length), major: 2, declaredLength: UInt64(length))
    #expect(throws: TensorFileError.malformed("big.npy", "the header length 1048577 exceeds 1048576 bytes")) {
      try NPYFile(bytes: npy, name: "big.npy")
    }
  }

  /// 200,000 empty tensors: opening, looking up and taking statistics of every one is linear, not quadratic.
  @Test func manyTensorsTakeLinearTime() throws {
    let count = 200_000
    var header = "{"
    for i in 0..<count {
      header += (i == 0 ? "" : ",") + "\"t\(i)\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}"
    }
    header += ",\"last\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"
    let bytes = MalformedTensorFiles.safetensors(header, data: [42])
    var checked = 0
    let seconds = try Self.cpuSeconds {
      let file = try SafetensorsFile(bytes: bytes, name: "many.safetensors")
      #expect(file.tensors.count == count + 1)
      // Empty tensors first (an empty range sorts before the tensor starting at the same offset), by name.
      #expect(file.tensors.last?.name == "last" && file.tensors.first?.name == "t0")
      for info in file.tensors {
        checked += try file.statistics(named: info.name).count
        _ = try file.info(named: info.name)
      }
    }
    #expect(checked == 1)
    #expect(seconds < 10, "\(seconds) s of CPU time")
  }

  /// The CPU time `body` takes on this thread (unlike wall-clock time, not inflated by a busy machine).
  static func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
    func now() -> Double {
      var time = timespec()
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
      return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    let start = now()
    try body()
    return now() - start
  }

  @Test func anEmptyTensorAtTheStartOfAnotherIsNotAnOverlap() throws {
    // The empty tensor shares its offset with the start of "a": whatever the header order, no overlap.
    for header in [
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}",
      "{\"e\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}",
    ] {
      let file = try SafetensorsFile(bytes: MalformedTensorFiles.safetensors(header, data: [5, 6]))
      #expect(file.names == ["e", "a"])
      #expect(try file.tensorData(named: "a").bytes == [5, 6])
    }
  }
}
