import Foundation
import TestSupport
import Testing

@testable import TensorFiles

@Suite("Malformed files are refused with a message naming the file and the problem")
struct MalformedFileTests {
  @Test(arguments: MalformedTensorFiles.safetensorsCases + MalformedTensorFiles.npyCases)
  func brokenFileIsRefused(_ broken: MalformedTensorFiles.Case) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = try broken.write(into: folder)
    let error = #expect(throws: TensorFileError.self) {
      if broken.fileExtension == "npy" {
        _ = try NPYFile(contentsOf: url)
      } else {
        _ = try SafetensorsFile(contentsOf: url)
      }
    }
    let message = "\(try #require(error))"
    #expect(message.hasPrefix("\(url.path): \(broken.kind)"), "\(message)")
    #expect(message.contains(broken.reason), "\(message)")
    // The same bytes parsed from memory give the same message, naming the bytes instead of the file.
    let name = "memory.\(broken.fileExtension)"
    let fromMemory = #expect(throws: TensorFileError.self) {
      if broken.fileExtension == "npy" {
        _ = try NPYFile(bytes: broken.bytes, name: name)
      } else {
        _ = try SafetensorsFile(bytes: broken.bytes, name: name)
      }
    }
    #expect(fromMemory.map { "\($0)" } == name + message.dropFirst(url.path.count))
  }

  @Test func missingFilesAndFoldersAreIOErrors() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    #expect(throws: TensorFileError.io(folder.file("none.npy").path, "cannot open: No such file or directory")) {
      try NPYFile(contentsOf: folder.file("none.npy"))
    }
    #expect(throws: TensorFileError.notARegularFile(folder.url.path, "a directory")) {
      try SafetensorsFile(contentsOf: folder.url)
    }
  }

  @Test func unalignedTensorsAreReadAtAnyOffset() throws {
    // One U8 then one F64 with an unpadded header: the F64 data start at an odd address.
    let header = "{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
      + "\"x\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[1,9]}}"
    var data: [UInt8] = [7]
    withUnsafeBytes(of: (1.25).bitPattern.littleEndian) { data += $0 }
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("unaligned.safetensors")
    try Data(MalformedTensorFiles.safetensors(header, data: data)).write(to: url)
    let file = try SafetensorsFile(contentsOf: url)
    #expect(try file.tensorData(named: "x").tensor(as: Double.self).scalars == [1.25])
    #expect(try file.tensorData(named: "b").tensor(as: Float.self).scalars == [7])
  }
}
