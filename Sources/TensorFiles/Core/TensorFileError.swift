/// A problem with a tensor file; each case names the file and what is wrong with it.
public enum TensorFileError: Error, Equatable, CustomStringConvertible {
  /// The file could not be opened, read or written (it does not exist, a symbolic-link loop, a read error).
  case io(String, String)
  /// The path names a directory, FIFO, socket or device, which a tensor file never is (the second value
  /// says which).
  case notARegularFile(String, String)
  /// The file changed while it was being read: it was truncated, grew or was replaced.
  case changedWhileReading(String, String)
  /// The file's contents do not follow its format.
  case malformed(String, String)
  /// The file uses a feature of its format that is not supported.
  case unsupported(String, String)
  /// A named tensor is not in the file.
  case missingTensor(String, String)
  /// Writing the output would overwrite an input file (the same file by device and inode, whatever the path).
  case refusingToOverwriteInput(String)
  /// The output path names a symbolic link, directory, FIFO, socket or device, which a writer never replaces
  /// (the second value says which).
  case refusingToReplace(String, String)
  /// Tensor data handed to the library do not fit their description (the first value names the tensor).
  case invalidTensor(String, String)

  /// The file (or, for ``invalidTensor(_:_:)``, the tensor) the error is about.
  public var subject: String {
    switch self {
    case .io(let file, _), .notARegularFile(let file, _), .changedWhileReading(let file, _), .malformed(let file, _),
      .unsupported(let file, _), .missingTensor(let file, _), .refusingToOverwriteInput(let file),
      .refusingToReplace(let file, _), .invalidTensor(let file, _):
      return file
    }
  }

  /// What is wrong, without the file's name: for messages that name the file themselves.
  public var reason: String {
    switch self {
    case .io(_, let reason): return reason
    case .notARegularFile(_, let kind): return "not a regular file: it is \(kind)"
    case .changedWhileReading(_, let reason): return "the file changed while it was read: \(reason)"
    case .malformed(_, let reason): return "malformed file: \(reason)"
    case .unsupported(_, let reason): return "unsupported: \(reason)"
    case .missingTensor(_, let name): return "no tensor named '\(name)'"
    case .refusingToOverwriteInput: return "refusing to overwrite an input file"
    case .refusingToReplace(_, let kind): return "refusing to replace \(kind); outputs are written only over regular files"
    case .invalidTensor(_, let reason): return reason
    }
  }

  /// The message: the file (or tensor) first, then what is wrong.
  public var description: String { "\(subject): \(reason)" }
}
