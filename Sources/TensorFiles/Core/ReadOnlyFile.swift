import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file opened for reading, read with positioned reads (`pread`) so that a file that changes
/// while it is read gives an error, never a signal.
///
/// Opening never blocks and never follows a path into something that is not a regular file: the path is
/// checked with `stat` before it is opened, opened with `O_NONBLOCK`, and the descriptor is checked again
/// with `fstat` to be the same regular file. FIFOs, sockets, devices and directories are refused with
/// ``TensorFileError/notARegularFile(_:_:)``; a symbolic-link loop is a ``TensorFileError/io(_:_:)``.
///
/// Every read re-checks the file's size and treats a short read as
/// ``TensorFileError/changedWhileReading(_:_:)``; nothing is memory-mapped, so a file truncated by another
/// process cannot fault the reader.
///
/// ```swift
/// let file = try ReadOnlyFile(url: URL(fileURLWithPath: "config.json"))
/// let bytes = try file.read(offset: 0, count: file.size)
/// ```
public final class ReadOnlyFile: Sendable {
  /// The path, as given, for messages.
  public let path: String
  /// The file's size in bytes when it was opened.
  public let size: Int
  private let descriptor: Int32

  /// Opens the regular file at `url` for reading.
  ///
  /// - Parameter url: The file; symbolic links are followed.
  /// - Throws: ``TensorFileError/notARegularFile(_:_:)`` for a directory, FIFO, socket or device;
  ///   ``TensorFileError/io(_:_:)`` when the file does not exist, cannot be opened, or its path holds a
  ///   symbolic-link loop.
  public init(url: URL) throws {
    let path = url.path
    self.path = path
    var before = stat()
    guard stat(path, &before) == 0 else { throw Self.openError(path, errno) }
    try Self.requireRegular(before, path: path)
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
    guard descriptor >= 0 else { throw Self.openError(path, errno) }
    var after = stat()
    guard fstat(descriptor, &after) == 0 else {
      let code = errno
      close(descriptor)
      throw TensorFileError.io(path, "cannot read its size: \(String(cString: strerror(code)))")
    }
    do {
      try Self.requireRegular(after, path: path)
      guard after.st_dev == before.st_dev, after.st_ino == before.st_ino else {
        throw TensorFileError.changedWhileReading(path, "it was replaced while being opened")
      }
    } catch {
      close(descriptor)
      throw error
    }
    self.descriptor = descriptor
    size = Int(after.st_size)
  }

  deinit { close(descriptor) }

  /// The whole contents of the regular file at `url`, refusing one longer than `maximumBytes` before reading.
  ///
  /// The safe way to read a small text or JSON file named by a user or a configuration: a FIFO or device
  /// cannot block or flood the reader, and a huge file is refused by its size.
  ///
  /// - Parameters:
  ///   - url: The file; symbolic links are followed.
  ///   - maximumBytes: The largest size accepted.
  /// - Throws: What ``init(url:)`` and ``read(offset:count:)`` throw, and ``TensorFileError/io(_:_:)`` for a
  ///   file longer than `maximumBytes`.
  /// - Complexity: O(size).
  public static func contents(of url: URL, maximumBytes: Int) throws -> [UInt8] {
    let file = try ReadOnlyFile(url: url)
    guard file.size <= maximumBytes else {
      throw TensorFileError.io(file.path, "\(file.size) bytes, more than the \(maximumBytes) bytes accepted here")
    }
    return try file.read(offset: 0, count: file.size)
  }

  /// Fills `buffer` with the bytes at `offset`.
  ///
  /// - Parameters:
  ///   - buffer: Where the bytes go; its count is the number of bytes read.
  ///   - offset: The first byte; `offset + buffer.count` must not exceed ``size``.
  /// - Throws: ``TensorFileError/changedWhileReading(_:_:)`` when the file is now shorter or longer than
  ///   when it was opened, or ends before the range does; ``TensorFileError/io(_:_:)`` on a read error.
  /// - Complexity: O(buffer.count).
  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
    precondition(offset >= 0 && buffer.count <= size - offset, "ReadOnlyFile.read: range beyond the file")
    try checkSize()
    var done = 0
    while done < buffer.count {
      let got = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if got < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw TensorFileError.io(path, "cannot read: \(String(cString: strerror(errno)))")
      }
      guard got > 0 else {
        throw TensorFileError.changedWhileReading(
          path, "it ended at byte \(offset + done) while bytes up to \(offset + buffer.count) were read (truncated)")
      }
      done += got
    }
  }

  /// A copy of `count` bytes at `offset`.
  ///
  /// - Throws: What ``read(into:at:)`` throws.
  /// - Complexity: O(count).
  public func read(offset: Int, count: Int) throws -> [UInt8] {
    try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
      initialized = count
    }
  }

  private func checkSize() throws {
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw TensorFileError.io(path, "cannot read its size: \(String(cString: strerror(errno)))")
    }
    guard Int(status.st_size) == size else {
      throw TensorFileError.changedWhileReading(path, "its size changed from \(size) to \(status.st_size) bytes")
    }
  }

  private static func requireRegular(_ status: stat, path: String) throws {
    if let kind = FileKind.nonRegularDescription(status.st_mode) {
      throw TensorFileError.notARegularFile(path, kind)
    }
  }

  private static func openError(_ path: String, _ code: Int32) -> TensorFileError {
    if code == ELOOP {
      return .io(path, "cannot open: a loop of symbolic links (\(String(cString: strerror(code))))")
    }
    return .io(path, "cannot open: \(String(cString: strerror(code)))")
  }
}
