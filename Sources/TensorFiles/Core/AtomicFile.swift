import CTemporaryFiles
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes files so that readers never see a half-written one: data go to a temporary file in the same
/// folder, which is then renamed over the destination in one step.
///
/// Every file the library and the `structml` tool write goes through this helper, either in one call
/// (``write(_:to:protectedInputs:)``, ``write(to:protectedInputs:_:)``) or through an ``AtomicFile``
/// value that is written piece by piece and then committed.
///
/// The destination is checked with ``checkDestination(_:protectedInputs:)`` when the file is created and
/// again just before the rename: its folder must exist and be writable, and the path must name nothing or
/// a regular file that is none of the protected inputs (compared by ``FileIdentity``, so a hard link or
/// another spelling of an input is refused too). A symbolic link, directory, FIFO, socket or device is
/// never replaced, and nothing is ever opened at the destination, so a FIFO there cannot block the writer.
///
/// Replacing an existing file keeps its permission bits (`rwx` for owner, group and others; set-id and
/// sticky bits are dropped) and, where the process may, its owner and group; when the group cannot be kept,
/// the group's bits are cleared, so a replacement never grants access the old file did not. A new file gets
/// `0666` less the process's umask, as any created file does.
///
/// The temporary file is `.NAME.partial-UUID` beside the destination. Errors from a full disk, a
/// read-only file system or missing permissions are thrown as ``TensorFileError/io(_:_:)`` naming the
/// destination and the reason (``TensorFileError/reason(errno:)``); the temporary file is then removed and
/// the destination left as it was. A program that calls ``removeTemporaryFilesOnSignals()`` also loses no
/// temporary file to SIGINT, SIGTERM or SIGHUP (up to 128 writes in progress at once; a write beyond that
/// still works, but a signal during it leaves its temporary file).
public final class AtomicFile {
  /// The destination the file is renamed to on ``commit()``.
  public let url: URL
  private let temporary: URL
  private let protectedInputs: [URL]
  private var descriptor: Int32
  private var registration: Int32

  /// Creates the temporary file beside `url` and opens it for writing.
  ///
  /// Until ``commit()`` succeeds nothing appears at `url`; if the value is released first, or
  /// ``discard()`` is called, the temporary file is removed.
  /// - Parameters:
  ///   - url: The destination; its folder must exist.
  ///   - protectedInputs: Files the caller reads from; writing over one of them is refused.
  /// - Throws: What ``checkDestination(_:protectedInputs:)`` throws, or ``TensorFileError/io(_:_:)`` when the
  ///   temporary file cannot be created.
  public init(url: URL, protectedInputs: [URL] = []) throws {
    let existing = try Self.destinationStatus(url, protectedInputs: protectedInputs)
    let folder = url.deletingLastPathComponent()
    // Keep the temporary name within the file system's 255-byte limit whatever the destination's length.
    var stem = Substring(url.lastPathComponent)
    while stem.utf8.count > 120 { stem = stem.dropLast() }
    self.url = url
    self.protectedInputs = protectedInputs
    temporary = folder.appendingPathComponent(".\(stem).partial-\(UUID().uuidString)")
    // Registered before it exists, so that no moment has the file on disk but unknown to the signal handler.
    registration = sml_temporary_files_register(temporary.path)
    let mode: mode_t = existing == nil ? 0o666 : 0o600
    descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
    guard descriptor >= 0 else {
      let code = errno
      sml_temporary_files_unregister(registration)
      throw TensorFileError.io(
        url.path, "cannot create a temporary file in \(folder.path): \(TensorFileError.reason(errno: code))")
    }
    if let existing { try keepPermissions(of: existing) }
  }

  deinit { discard() }

  /// Appends bytes to the temporary file.
  ///
  /// - Parameter data: The next bytes of the file.
  /// - Throws: ``TensorFileError/io(_:_:)`` when the write fails (a full disk, a file-size limit, a device
  ///   error) or the file was already committed or discarded; the temporary file is then removed.
  public func write<Bytes: DataProtocol>(contentsOf data: Bytes) throws {
    guard descriptor >= 0 else { throw TensorFileError.io(url.path, "the file was already committed or discarded") }
    for region in data.regions {
      try region.withUnsafeBytes { bytes in
        var done = 0
        while done < bytes.count {
          let written = systemWrite(descriptor, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
          if written < 0 {
            let code = errno
            if code == EINTR { continue }
            discard()
            throw TensorFileError.io(url.path, "cannot write: \(TensorFileError.reason(errno: code))")
          }
          done += written
        }
      }
    }
  }

  /// Flushes the temporary file to disk, checks the destination again and renames the file to ``url``.
  ///
  /// - Throws: ``TensorFileError/io(_:_:)`` when flushing or renaming fails, or what
  ///   ``checkDestination(_:protectedInputs:)`` throws when the destination changed meanwhile; the
  ///   temporary file is then removed and ``url`` left as it was.
  public func commit() throws {
    guard descriptor >= 0 else { throw TensorFileError.io(url.path, "the file was already committed or discarded") }
    // Flushing reports the write errors a file system defers (a full disk on network and copy-on-write file
    // systems, a failing device).
    if fsync(descriptor) != 0 {
      let code = errno
      discard()
      throw TensorFileError.io(url.path, "cannot finish writing: \(TensorFileError.reason(errno: code))")
    }
    let closed = close(descriptor)
    let closeError = errno
    descriptor = -1
    do {
      guard closed == 0 else {
        throw TensorFileError.io(url.path, "cannot finish writing: \(TensorFileError.reason(errno: closeError))")
      }
      _ = try Self.destinationStatus(url, protectedInputs: protectedInputs)
      guard rename(temporary.path, url.path) == 0 else {
        let code = errno
        throw TensorFileError.io(
          url.path, "cannot rename the finished file into place: \(TensorFileError.reason(errno: code))")
      }
    } catch {
      unlink(temporary.path)
      sml_temporary_files_unregister(registration)
      throw error
    }
    sml_temporary_files_unregister(registration)
    Self.synchronizeFolder(of: url)
  }

  /// Closes and removes the temporary file; does nothing after ``commit()``.
  public func discard() {
    guard descriptor >= 0 else { return }
    close(descriptor)
    descriptor = -1
    unlink(temporary.path)
    sml_temporary_files_unregister(registration)
  }

  /// Gives the temporary file the permission bits, owner and group of the file it will replace.
  private func keepPermissions(of existing: stat) throws {
    var mode = existing.st_mode & 0o777
    _ = fchown(descriptor, existing.st_uid, existing.st_gid)
    var now = stat()
    if fstat(descriptor, &now) != 0 || now.st_gid != existing.st_gid { mode &= ~0o070 }
    if fchmod(descriptor, mode) != 0 {
      let code = errno
      discard()
      throw TensorFileError.io(
        url.path, "cannot give the new file the permissions of the old one: \(TensorFileError.reason(errno: code))")
    }
  }

  /// Checks that a file can be written to `url` without losing anything: its folder exists and is writable,
  /// and `url` names nothing yet or a regular file that is none of `protectedInputs`.
  ///
  /// Nothing is opened or created; symbolic links at `url` are not followed. Commands call this for every
  /// output before they start work, so that a bad output path stops them at once.
  /// - Parameters:
  ///   - url: The destination.
  ///   - protectedInputs: Files the caller reads from, compared by ``FileIdentity`` (a hard link or another
  ///     spelling of an input is the input).
  /// - Throws: ``TensorFileError/refusingToReplace(_:_:)`` when `url` names a symbolic link, directory, FIFO,
  ///   socket or device; ``TensorFileError/refusingToOverwriteInput(_:)``; ``TensorFileError/io(_:_:)``
  ///   when the folder is missing, is not a folder, or cannot be written (permission denied, read-only file
  ///   system).
  public static func checkDestination(_ url: URL, protectedInputs: [URL] = []) throws {
    _ = try destinationStatus(url, protectedInputs: protectedInputs)
  }

  /// ``checkDestination(_:protectedInputs:)``, returning the `lstat` of the regular file at `url`, or `nil`
  /// when there is none.
  private static func destinationStatus(_ url: URL, protectedInputs: [URL]) throws -> stat? {
    let folder = url.deletingLastPathComponent()
    var folderStatus = stat()
    guard stat(folder.path, &folderStatus) == 0 else {
      let code = errno
      throw TensorFileError.io(url.path, "cannot use the folder \(folder.path): \(TensorFileError.reason(errno: code))")
    }
    guard folderStatus.st_mode & S_IFMT == S_IFDIR else {
      throw TensorFileError.io(url.path, "\(folder.path) is not a folder")
    }
    var status = stat()
    let exists = lstat(url.path, &status) == 0
    guard exists || errno == ENOENT else {
      let code = errno
      throw TensorFileError.io(url.path, "cannot examine the destination: \(TensorFileError.reason(errno: code))")
    }
    if exists, let kind = FileKind.nonRegularDescription(status.st_mode) {
      throw TensorFileError.refusingToReplace(url.path, kind)
    }
    if exists, protectedInputs.contains(where: { FileIdentity(of: $0) == FileIdentity(status) }) {
      throw TensorFileError.refusingToOverwriteInput(url.path)
    }
    guard access(folder.path, W_OK | X_OK) == 0 else {
      let code = errno
      throw TensorFileError.io(
        url.path, "cannot write in the folder \(folder.path): \(TensorFileError.reason(errno: code))")
    }
    return exists ? status : nil
  }

  /// Flushes the folder entry of a renamed file, so that the rename survives a crash; best effort.
  private static func synchronizeFolder(of url: URL) {
    let folder = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
    guard folder >= 0 else { return }
    _ = fsync(folder)
    close(folder)
  }

  /// Makes SIGINT, SIGTERM and SIGHUP remove the temporary file of every write in progress, then end the
  /// process with status 128 + the signal number (130 for SIGINT).
  ///
  /// For programs, not libraries: call it once at the start of `main`. A signal the process was started
  /// with ignored (SIGHUP under `nohup`) stays ignored. The handler does only async-signal-safe work: it
  /// reads a fixed table of paths kept in C and calls `unlink` and `_exit`.
  /// - Returns: `false` when the handlers could not be installed.
  @discardableResult
  public static func removeTemporaryFilesOnSignals() -> Bool {
    sml_temporary_files_install_signal_handlers() == 0
  }

  /// Writes `data` to `url` atomically.
  ///
  /// - Parameters:
  ///   - data: The complete contents.
  ///   - url: The destination; its folder must exist.
  ///   - protectedInputs: Files the caller reads from; writing over one of them is refused.
  /// - Throws: What ``init(url:protectedInputs:)``, ``write(contentsOf:)`` and ``commit()`` throw.
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
  /// - Throws: What `body` throws, and what ``init(url:protectedInputs:)``, ``write(contentsOf:)`` and
  ///   ``commit()`` throw.
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

/// The C library's `write(2)`, which ``AtomicFile/write(contentsOf:)`` hides inside the class.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    return Glibc.write(descriptor, bytes, count)
  #else
    return Darwin.write(descriptor, bytes, count)
  #endif
}
