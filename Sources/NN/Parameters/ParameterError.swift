/// What is wrong with a parameter name, shape or lookup.
public enum ParameterError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Two parameters were declared under the same name.
  case duplicateName(String)
  /// No parameter has this name.
  case unknownName(String)
  /// The name is empty, or has an empty dotted component (`"fc1..weight"`, `".bias"`).
  case invalidName(String)
  /// A shape has a zero or negative extent, or too many elements.
  case invalidShape(name: String, shape: [Int])
  /// A tensor given for a parameter has another shape than the parameter.
  case shapeMismatch(name: String, expected: [Int], actual: [Int])
  /// The store's four buffers (values, gradients, two moments) need more memory than the machine has
  /// (`bytes` is `nil` when the count overflows).
  case tooLarge(parameters: Int, bytes: Int?, available: Int)

  public var description: String {
    switch self {
    case .duplicateName(let name): return "parameter '\(name)' is declared twice"
    case .unknownName(let name): return "no parameter is named '\(name)'"
    case .invalidName(let name): return "'\(name)' is not a dotted parameter name"
    case .invalidShape(let name, let shape): return "parameter '\(name)' has invalid shape \(shape)"
    case .shapeMismatch(let name, let expected, let actual):
      return "parameter '\(name)' has shape \(expected), got a tensor of shape \(actual)"
    case .tooLarge(let parameters, let bytes, let available):
      let needed = bytes.map { "\($0 / 1_048_576) MiB" } ?? "more bytes than a 64-bit count holds"
      return "\(parameters) parameters need \(needed) for values, gradients and optimizer moments, more than the "
        + "\(available / 1_048_576) MiB of memory this machine has"
    }
  }
}
