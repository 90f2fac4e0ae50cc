/// What is wrong with a tokenizer's files or with a request to it, named by the file or option.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A tokenizer file is missing or cannot be read (`reason` says why).
  case unreadableFile(file: String, reason: String)
  /// A tokenizer file is readable but malformed; `line` is 1-based where the format has lines.
  case malformedFile(file: String, line: Int?, reason: String)
  /// A special token the tokenizer needs (such as `[UNK]` or `<|endoftext|>`) is not in the vocabulary.
  case missingSpecialToken(file: String, token: String)
  /// An option of an encoding request is out of range (such as a maximum length too short for the special
  /// tokens).
  case invalidOption(option: String, reason: String)
  /// A token id to decode is negative or not in the vocabulary.
  case idOutOfRange(id: Int, vocabularySize: Int)

  public var description: String {
    switch self {
    case .unreadableFile(let file, let reason):
      return "\(file): \(reason)"
    case .malformedFile(let file, let line, let reason):
      return line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)"
    case .missingSpecialToken(let file, let token):
      return "\(file): special token '\(token)' is not in the vocabulary"
    case .invalidOption(let option, let reason):
      return "\(option): \(reason)"
    case .idOutOfRange(let id, let vocabularySize):
      return "token id \(id) is not in the vocabulary (ids 0..<\(vocabularySize))"
    }
  }
}
