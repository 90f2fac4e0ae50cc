import Foundation

/// Writes files so that readers never see a half-written one: data go to a temporary file in the same
/// folder, which is then renamed over the destination in one step.
///
/// Every file the library and the `structml` tool write goes through this helper.
public enum AtomicFile {
  /// Writes `data` to `url` atomically.
  ///
  /// - Parameters:
  ///   - data: The complete contents.
  ///   - url: The destination; its folder must exist.
  ///   - protectedInputs: Files the caller reads from; writing over one of them is refused.
  /// - Throws: ``TensorFileError/refusingToOverwriteInput(_:)`` or ``TensorFileError/io(_:_:)``.
  public static func write(_ data: Data, to url: URL, protectedInputs: [URL] = []) throws {
    try write(to: url, protectedInputs: protectedInputs) { handle in try handle.write(contentsOf: data) }
  }

  /// Streams contents into a temporary file through `body`, then renames it to `url`.
  ///
  /// If `body` throws, the temporary file is removed and `url` is left as it was.
  public static func write(
    to url: URL, protectedInputs: [URL] = [], _ body: (FileHandle) throws -> Void
  ) throws {
    let destination = url.standardizedFileURL.resolvingSymlinksInPath()
    for input in protectedInputs where input.standardizedFileURL.resolvingSymlinksInPath() == destination {
      throw TensorFileError.refusingToOverwriteInput(url.path)
    }
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
      throw TensorFileError.io(url.path, "cannot create a file in \(folder.path)")
    }
    do {
      let handle = try FileHandle(forWritingTo: temporary)
      do {
        try body(handle)
        try handle.synchronize()
        try handle.close()
      } catch {
        try? handle.close()
        throw error
      }
      if rename(temporary.path, url.path) != 0 {
        throw TensorFileError.io(url.path, "cannot rename the finished file into place (errno \(errno))")
      }
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      if let fileError = error as? TensorFileError { throw fileError }
      throw TensorFileError.io(url.path, "\(error.localizedDescription)")
    }
  }
}
