/// What is wrong with training data, named by its file or source.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read.
  case unreadable(path: String, reason: String)
  /// The file holds no bytes.
  case empty(path: String)
  /// The file is not UTF-8: the first invalid sequence starts at this byte.
  case notUTF8(path: String, byteOffset: Int)
  /// A split holds too few tokens for one sequence and its targets.
  case tooShort(source: String, split: String, tokens: Int, needed: Int)
  /// A held-out fraction outside `(0, 1)`.
  case invalidFraction(Double)
  /// A batch size or sequence length below 1.
  case nonPositiveSize(name: String, value: Int)

  public var description: String {
    switch self {
    case .unreadable(let path, let reason): return "\(path): cannot be read: \(reason)"
    case .empty(let path): return "\(path): the file is empty"
    case .notUTF8(let path, let offset): return "\(path): not UTF-8 (invalid byte sequence at byte \(offset))"
    case .tooShort(let source, let split, let tokens, let needed):
      return "\(source): the \(split) split has \(tokens) tokens, fewer than the \(needed) one sequence needs"
    case .invalidFraction(let value): return "held-out fraction \(value) is outside (0, 1)"
    case .nonPositiveSize(let name, let value): return "\(name) must be positive, got \(value)"
    }
  }
}
