import Foundation

/// Writes files so that readers never see a half-written one: data go to a temporary file in the same
/// folder, which is then renamed over the destination in one step.
///
/// Every file the library and the `structml` tool write goes through this helper, either in one call
/// (``write(_:to:protectedInputs:)``, ``write(to:protectedInputs:_:)``) or through an ``AtomicFile``
/// value that is written piece by piece and then committed.
public final class AtomicFile {
  /// The destination the file is renamed to on ``commit()``.
  public let url: URL
  private let temporary: URL
  private var handle: FileHandle?

  /// Creates the temporary file beside `url` and opens it for writing.
  ///
  /// Until ``commit()`` succeeds nothing appears at `url`; if the value is released first, or
  /// ``discard()`` is called, the temporary file is removed.
  /// - Parameters:
  ///   - url: The destination; its folder must exist.
  ///   - protectedInputs: Files the caller reads from; writing over one of them is refused.
  /// - Throws: ``TensorFileError/refusingToOverwriteInput(_:)`` or ``TensorFileError/io(_:_:)``.
  public init(url: URL, protectedInputs: [URL] = []) throws {
    let destination = url.standardizedFileURL.resolvingSymlinksInPath()
    for input in protectedInputs where input.standardizedFileURL.resolvingSymlinksInPath() == destination {
      throw TensorFileError.refusingToOverwriteInput(url.path)
    }
    let folder = url.deletingLastPathComponent()
    self.url = url
    self.temporary = folder.appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
      throw TensorFileError.io(url.path, "cannot create a file in \(folder.path)")
    }
    do {
      handle = try FileHandle(forWritingTo: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw TensorFileError.io(url.path, "cannot open a temporary file: \(error.localizedDescription)")
    }
  }

  deinit { discard() }

  /// Appends bytes to the temporary file.
  ///
  /// - Parameter data: The next bytes of the file.
  /// - Throws: ``TensorFileError/io(_:_:)`` when the write fails or the file was already committed or
  ///   discarded; the temporary file is then removed.
  public func write<Bytes: DataProtocol>(contentsOf data: Bytes) throws {
    guard let handle else { throw TensorFileError.io(url.path, "the file was already committed or discarded") }
    do {
      try handle.write(contentsOf: data)
    } catch {
      discard()
      throw TensorFileError.io(url.path, "cannot write: \(error.localizedDescription)")
    }
  }

  /// Flushes the temporary file to disk and renames it to ``url``.
  ///
  /// - Throws: ``TensorFileError/io(_:_:)``; the temporary file is then removed and ``url`` left as it was.
  public func commit() throws {
    guard let handle else { throw TensorFileError.io(url.path, "the file was already committed or discarded") }
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      discard()
      throw TensorFileError.io(url.path, "cannot finish writing: \(error.localizedDescription)")
    }
    self.handle = nil
    if rename(temporary.path, url.path) != 0 {
      let code = errno
      try? FileManager.default.removeItem(at: temporary)
      throw TensorFileError.io(url.path, "cannot rename the finished file into place (errno \(code))")
    }
  }

  /// Closes and removes the temporary file; does nothing after ``commit()``.
  public func discard() {
    guard let handle else { return }
    try? handle.close()
    self.handle = nil
    try? FileManager.default.removeItem(at: temporary)
  }

  /// Writes `data` to `url` atomically.
  ///
  /// - Parameters:
  ///   - data: The complete contents.
  ///   - url: The destination; its folder must exist.
  ///   - protectedInputs: Files the caller reads from; writing over one of them is refused.
  /// - Throws: ``TensorFileError/refusingToOverwriteInput(_:)`` or ``TensorFileError/io(_:_:)``.
  public static func write(_ data: Data, to url: URL, protectedInputs: [URL] = []) throws {
    try write(to: url, protectedInputs: protectedInputs) { file in try file.write(contentsOf: data) }
  }

  /// Streams contents into a temporary file through `body`, then renames it to `url`.
  ///
  /// If `body` throws, the temporary file is removed and `url` is left as it was.
  /// - Parameters:
  ///   - url: The destination; its folder must exist.
  ///   - protectedInputs: Files the caller reads from; writing over one of them is refused.
  ///   - body: Writes the contents through the ``AtomicFile`` it is given (its
  ///     ``write(contentsOf:)`` has the same shape as `FileHandle`'s).
  /// - Throws: What `body` throws, ``TensorFileError/refusingToOverwriteInput(_:)`` or
  ///   ``TensorFileError/io(_:_:)``.
  public static func write(
    to url: URL, protectedInputs: [URL] = [], _ body: (AtomicFile) throws -> Void
  ) throws {
    let file = try AtomicFile(url: url, protectedInputs: protectedInputs)
    do {
      try body(file)
      try file.commit()
    } catch {
      file.discard()
      throw error
    }
  }
}
