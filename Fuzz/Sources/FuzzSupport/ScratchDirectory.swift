import Foundation

/// A private temporary folder for one fuzzer process: the readers take paths, so each input is written to a
/// file here before it is read.
///
/// The folder is created once per process and reused for every input; files are replaced in place.
public final class ScratchDirectory: Sendable {
  /// The folder, unique to this process.
  public let url: URL

  /// The folder shared by every input of this process.
  public static let shared = ScratchDirectory()

  private init() {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("structml-fuzz-\(getpid())-\(UUID().uuidString)", isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      fatalError("fuzz: cannot create the scratch folder \(url.path): \(error)")
    }
  }

  /// The URL of `name` inside the folder.
  public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// Writes `count` bytes at `bytes` to `name` (replacing it) and returns its URL.
  public func write(_ bytes: UnsafePointer<UInt8>, count: Int, to name: String) -> URL {
    let target = file(name)
    let descriptor = open(target.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { fatalError("fuzz: cannot open \(target.path): errno \(errno)") }
    defer { close(descriptor) }
    var written = 0
    while written < count {
      let result = Foundation.write(descriptor, bytes + written, count - written)
      guard result > 0 else { fatalError("fuzz: cannot write \(target.path): errno \(errno)") }
      written += result
    }
    return target
  }

  /// Writes `bytes` to `name` (replacing it) and returns its URL.
  public func write(_ bytes: [UInt8], to name: String) -> URL {
    bytes.withUnsafeBufferPointer { buffer in
      write(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: buffer.count, to: name)
    }
  }

  /// Removes `name` if it exists.
  public func remove(_ name: String) {
    unlink(file(name).path)
  }
}
