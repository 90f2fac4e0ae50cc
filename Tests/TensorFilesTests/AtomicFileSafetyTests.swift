import Foundation
import TestSupport
import Testing

@testable import TensorFiles

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// ``AtomicFile`` never replaces what is not a regular file, never writes over an input however it is
/// named, keeps the permissions of the file it replaces, and says why a write failed in plain words.
@Suite("Atomic file destinations, permissions and errors")
struct AtomicFileSafetyTests {
  @Test func replacingAFileKeepsItsPermissionBits() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let url = folder.file("out.bin")
    for mode: mode_t in [0o600, 0o640, 0o604, 0o755, 0o400] {
      try? FileManager.default.removeItem(at: url)
      try Data([0]).write(to: url)
      #expect(chmod(url.path, mode) == 0)
      try AtomicFile.write(Data([1, 2, 3]), to: url)
      var status = stat()
      #expect(stat(url.path, &status) == 0)
      #expect(status.st_mode & 0o7777 == mode, "\(String(status.st_mode & 0o7777, radix: 8)) instead of \(String(mode, radix: 8))")
      #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
    }
    #expect(try folder.contents() == ["out.bin"])
  }

  @Test func symbolicLinksDirectoriesAndFIFOsAreNeverReplaced() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data([5]).write(to: folder.file("target"))
    try FileManager.default.createSymbolicLink(atPath: folder.file("link").path, withDestinationPath: folder.file("target").path)
    try FileManager.default.createSymbolicLink(atPath: folder.file("dangling").path, withDestinationPath: folder.file("nowhere").path)
    try FileManager.default.createDirectory(at: folder.file("folder"), withIntermediateDirectories: false)
    #expect(mkfifo(folder.file("fifo").path, 0o644) == 0)
    let cases = [
      ("link", "a symbolic link"), ("dangling", "a symbolic link"), ("folder", "a directory"), ("fifo", "a FIFO (named pipe)"),
    ]
    for (name, kind) in cases {
      #expect(throws: TensorFileError.refusingToReplace(folder.file(name).path, kind)) {
        try AtomicFile.write(Data([9]), to: folder.file(name))
      }
    }
    #expect(throws: TensorFileError.refusingToReplace("/dev/null", "a character device")) {
      try AtomicFile.checkDestination(URL(fileURLWithPath: "/dev/null"))
    }
    #expect(try Data(contentsOf: folder.file("target")) == Data([5]))
    #expect(try folder.contents() == ["dangling", "fifo", "folder", "link", "target"])
  }

  @Test func aHardLinkToAnInputIsTheInput() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let input = folder.file("model.safetensors")
    try Data([1, 2]).write(to: input)
    #expect(link(input.path, folder.file("alias.safetensors").path) == 0)
    #expect(throws: TensorFileError.refusingToOverwriteInput(folder.file("alias.safetensors").path)) {
      try AtomicFile.write(Data([3]), to: folder.file("alias.safetensors"), protectedInputs: [input])
    }
    #expect(try Data(contentsOf: folder.file("alias.safetensors")) == Data([1, 2]))
    #expect(try folder.contents() == ["alias.safetensors", "model.safetensors"])
  }

  @Test func theDestinationIsCheckedAgainBeforeTheRename() throws {
    // A destination that became a symbolic link while the file was written is still not replaced.
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data([4]).write(to: folder.file("target"))
    let file = try AtomicFile(url: folder.file("out"))
    try file.write(contentsOf: Data([8, 8]))
    try FileManager.default.createSymbolicLink(atPath: folder.file("out").path, withDestinationPath: folder.file("target").path)
    #expect(throws: TensorFileError.refusingToReplace(folder.file("out").path, "a symbolic link")) { try file.commit() }
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder.file("out").path) == folder.file("target").path)
    #expect(try folder.contents() == ["out", "target"])
  }

  @Test func aMissingOrUnusableFolderIsNamedWithTheReason() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data([1]).write(to: folder.file("plain"))
    let missing = folder.file("absent/out.npy")
    #expect(
      throws: TensorFileError.io(missing.path, "cannot use the folder \(folder.file("absent").path): no such file or folder")
    ) { try AtomicFile.write(Data([1]), to: missing) }
    let underAFile = folder.file("plain/out.npy")
    #expect(throws: TensorFileError.io(underAFile.path, "\(folder.file("plain").path) is not a folder")) {
      try AtomicFile.write(Data([1]), to: underAFile)
    }
    #expect(try folder.contents() == ["plain"])
  }

  @Test func systemErrorsAreSpelledOut() {
    #expect(TensorFileError.reason(errno: ENOSPC) == "no space left on the device (the disk is full)")
    #expect(TensorFileError.reason(errno: EROFS) == "read-only file system")
    #expect(TensorFileError.reason(errno: EACCES) == "permission denied")
    #expect(TensorFileError.reason(errno: EPERM) == "permission denied")
    #expect(TensorFileError.reason(errno: EXDEV) == String(cString: strerror(EXDEV)))
  }
}
