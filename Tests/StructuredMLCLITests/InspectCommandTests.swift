import Foundation
import StructuredMLCLI
import TensorCore
import TensorFiles
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("structml inspect")
struct InspectCommandTests {
  static func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) {
    runInProcess(["inspect"] + arguments)
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

  @Test func specialFilesFailWithExitCodeOneWithoutBlocking() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let fifo = folder.file("pipe.safetensors")
    try #require(mkfifo(fifo.path, 0o600) == 0)
    let loop = folder.file("loop.npy")
    try FileManager.default.createSymbolicLink(atPath: loop.path, withDestinationPath: loop.path)
    let directory = folder.file("dir.safetensors")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    let cases = [
      (fifo.path, "not a regular file: it is a FIFO (named pipe)"), ("/dev/zero", "not a regular file: it is a character device"),
      (directory.path, "not a regular file: it is a directory"), (loop.path, "cannot open: a loop of symbolic links"),
    ]
    for (path, message) in cases {
      let arguments = path == "/dev/zero" ? ["/dev/zero.npy"] : [path, "--stats"]
      let result = Self.run(arguments)
      #expect(result.status == 1, "\(path)")
      if path != "/dev/zero" { #expect(result.error.hasPrefix("structml inspect: \(path): \(message)"), "\(result.error)") }
    }
  }

  @Test func namesAndMetadataCannotReachTheTerminalRaw() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("evil.safetensors")
    let name = "w\u{1B}[2J\nfake  F32  [1]  4"
    try SafetensorsWriter.write(
      [(name, try TensorData(dtype: .uint8, shape: [1], bytes: [7]))],
      metadata: ["note\u{1B}]0;title\u{07}": "line\nbreak \u{202E}txt"], to: url)
    let table = Self.run([url.path, "--stats"])
    #expect(table.status == 0)
    #expect(!table.out.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x202E })
    let lines = table.out.split(separator: "\n").map(String.init)
    #expect(lines.count == 4, "\(lines)")  // summary, one metadata line, header, one row
    #expect(lines[1] == #"  metadata note\u{1B}]0;title\u{7} = line\nbreak \u{202E}txt"#)
    #expect(lines[3].hasPrefix(#"w\u{1B}[2J\nfake  F32  [1]  4  U8"#), "\(lines[3])")
    let json = Self.run([url.path, "--json"])
    #expect(json.out.contains(#""name":"w\u001b[2J\nfake  F32  [1]  4""#), "\(json.out)")
    #expect(!json.out.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }

  @Test func errorMessagesQuotingFileTextAreEscaped() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("bad.safetensors")
    let header = "{\"a\":{\"dtype\":\"F\\u001b[2J\",\"shape\":[1],\"data_offsets\":[0,4]}}"
    try Data(MalformedTensorFiles.safetensors(header, data: [0, 0, 0, 0])).write(to: url)
    let result = Self.run([url.path])
    #expect(result.status == 1)
    #expect(result.error.contains(#"unknown dtype 'F\u{1B}[2J'"#), "\(result.error)")
    #expect(!result.error.unicodeScalars.contains { $0.value == 0x1B })
  }

  @Test func integersBeyondTwoToTheFiftyThreeAreExactInJSON() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("big.safetensors")
    let u64 = [UInt64.max, (1 << 53) + 1].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    let i64 = [Int64.min, 0].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    let header = "{\"e\":{\"dtype\":\"F32\",\"shape\":[9007199254740993,0,9223372036854775807],\"data_offsets\":[0,0]},"
      + "\"u\":{\"dtype\":\"U64\",\"shape\":[2],\"data_offsets\":[0,16]},"
      + "\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}}"
    try Data(MalformedTensorFiles.safetensors(header, data: u64 + i64)).write(to: url)
    let result = Self.run([url.path, "--stats", "--json"])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.out.contains(#""shape":[9007199254740993,0,9223372036854775807],"bytes":0"#), "\(result.out)")
    #expect(result.out.contains(#""min":9007199254740993,"max":18446744073709551615,"mean":"#), "\(result.out)")
    #expect(result.out.contains(#""min":-9223372036854775808,"max":0,"mean":-4.611686018427388e+18"#), "\(result.out)")
    let table = Self.run([url.path, "--stats"])
    #expect(table.out.contains("9007199254740993  18446744073709551615"), "\(table.out)")
  }

  /// 100,000 empty tensors through `inspect --stats --json`: linear, seconds of CPU time, not minutes.
  @Test func manyTensorsAreInspectedInLinearTime() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("many.safetensors")
    let count = 100_000
    let header = "{" + (0..<count).map { "\"t\($0)\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[0,0]}" }.joined(separator: ",") + "}"
    try Data(MalformedTensorFiles.safetensors(header, data: [])).write(to: url)
    func cpuSeconds() -> Double {
      var time = timespec()
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
      return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    let start = cpuSeconds()
    let result = Self.run([url.path, "--stats", "--json"])
    let seconds = cpuSeconds() - start
    #expect(result.status == 0)
    #expect(result.out.hasSuffix(#"{"name":"t99999","dtype":"F16","shape":[0],"bytes":0,"min":null,"max":null,"mean":null,"nan_count":0}]}"# + "\n"))
    #expect(seconds < 10, "\(seconds) s of CPU time")
  }
}
