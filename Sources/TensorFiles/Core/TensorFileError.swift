/// A problem with a tensor file; each case names the file and what is wrong with it.
public enum TensorFileError: Error, Equatable, CustomStringConvertible {
  /// The file could not be read or written.
  case io(String, String)
  /// The file's contents do not follow its format.
  case malformed(String, String)
  /// The file uses a feature of its format that is not supported.
  case unsupported(String, String)
  /// A named tensor is not in the file.
  case missingTensor(String, String)
  /// Writing the output would overwrite an input file.
  case refusingToOverwriteInput(String)
  /// Tensor data handed to the library do not fit their description (the first value names the tensor).
  case invalidTensor(String, String)

  public var description: String {
    switch self {
    case .io(let file, let reason): return "\(file): \(reason)"
    case .malformed(let file, let reason): return "\(file): malformed file: \(reason)"
    case .unsupported(let file, let reason): return "\(file): unsupported: \(reason)"
    case .missingTensor(let file, let name): return "\(file): no tensor named '\(name)'"
    case .refusingToOverwriteInput(let file): return "\(file): refusing to overwrite an input file"
    case .invalidTensor(let tensor, let reason): return "\(tensor): \(reason)"
    }
  }
}
