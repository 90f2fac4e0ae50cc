import Foundation
import TensorCore
import TestSupport
import Testing

@testable import TensorFiles

@Suite("Streaming writer and atomic files")
struct WriterAndAtomicityTests {
  static let entries: [SafetensorsWriter.Entry] = [("first", .float32, [2, 3]), ("second", .int16, [4])]

  static func data(_ dtype: DType, _ shape: [Int]) throws -> TensorData {
    try TensorData(dtype: dtype, shape: shape, bytes: (0..<(shape.reduce(1, *) * dtype.byteSize)).map { UInt8($0) })
  }

  @Test func streamingWriterWritesTensorsInDeclaredOrder() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("out.safetensors")
    let writer = try SafetensorsWriter(url: url, entries: Self.entries, metadata: ["step": "3"])
    try writer.append(name: "first", data: try Self.data(.float32, [2, 3]))
    #expect(try folder.contents().count == 1 && !FileManager.default.fileExists(atPath: url.path))
    try writer.append(name: "second", data: try Self.data(.int16, [4]))
    try writer.finish()
    #expect(try folder.contents() == ["out.safetensors"])
    let file = try SafetensorsFile(contentsOf: url)
    #expect(file.names == ["first", "second"] && file.metadata == ["step": "3"])
    #expect(try file.tensorData(named: "second") == Self.data(.int16, [4]))
  }

  @Test func wrongTensorAbandonsTheOutput() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("out.safetensors")
    let writer = try SafetensorsWriter(url: url, entries: Self.entries)
    #expect(throws: TensorFileError.self) { try writer.append(name: "second", data: try Self.data(.int16, [4])) }
    #expect(try folder.contents().isEmpty)
    #expect(throws: TensorFileError.self) { try writer.finish() }
    #expect(try folder.contents().isEmpty)
  }

  @Test func wrongShapeAbandonsTheOutput() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let writer = try SafetensorsWriter(url: folder.file("out.safetensors"), entries: Self.entries)
    #expect(throws: TensorFileError.self) { try writer.append(name: "first", data: try Self.data(.float32, [3, 2])) }
    #expect(try folder.contents().isEmpty)
  }

  @Test func finishingEarlyOrNeverLeavesNothing() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("out.safetensors")
    let early = try SafetensorsWriter(url: url, entries: Self.entries)
    try early.append(name: "first", data: try Self.data(.float32, [2, 3]))
    #expect(throws: TensorFileError.self) { try early.finish() }
    #expect(try folder.contents().isEmpty)
    do {
      let forgotten = try SafetensorsWriter(url: url, entries: Self.entries)
      try forgotten.append(name: "first", data: try Self.data(.float32, [2, 3]))
      #expect(try folder.contents().count == 1)
    }
    #expect(try folder.contents().isEmpty)
  }

  @Test func failedWriteKeepsThePreviousFile() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("out.bin")
    try AtomicFile.write(Data([1, 2, 3]), to: url)
    struct Interrupted: Error {}
    #expect(throws: Interrupted.self) {
      try AtomicFile.write(to: url) { file in
        try file.write(contentsOf: Data([9, 9]))
        throw Interrupted()
      }
    }
    #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
    #expect(try folder.contents() == ["out.bin"])
  }

  @Test func refusesToOverwriteAnInput() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let input = folder.file("model.safetensors")
    try SafetensorsWriter.write([("w", try Self.data(.float32, [2]))], to: input)
    let before = try Data(contentsOf: input)
    try FileManager.default.createDirectory(at: folder.file("sub"), withIntermediateDirectories: false)
    let sameFileOtherSpelling = folder.url.appendingPathComponent("./sub/../model.safetensors")
    #expect(throws: TensorFileError.refusingToOverwriteInput(sameFileOtherSpelling.path)) {
      try SafetensorsWriter.write(
        [("w", try Self.data(.float32, [2]))], to: sameFileOtherSpelling, protectedInputs: [input])
    }
    #expect(try Data(contentsOf: input) == before)
    #expect(try folder.contents() == ["model.safetensors", "sub"])
  }

  @Test func declarationsAreChecked() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("out.safetensors")
    #expect(throws: TensorFileError.invalidTensor(url.path, "tensor 'a' is declared twice")) {
      try SafetensorsWriter(url: url, entries: [("a", .float32, [1]), ("a", .float32, [1])])
    }
    #expect(throws: TensorFileError.self) { try SafetensorsWriter(url: url, entries: [("__metadata__", .float32, [1])]) }
    #expect(throws: TensorFileError.self) { try SafetensorsWriter(url: url, entries: [("a", .float32, [-1])]) }
    #expect(try folder.contents().isEmpty)
  }
}
