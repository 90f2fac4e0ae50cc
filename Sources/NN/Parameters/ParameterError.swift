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

  public var description: String {
    switch self {
    case .duplicateName(let name): return "parameter '\(name)' is declared twice"
    case .unknownName(let name): return "no parameter is named '\(name)'"
    case .invalidName(let name): return "'\(name)' is not a dotted parameter name"
    case .invalidShape(let name, let shape): return "parameter '\(name)' has invalid shape \(shape)"
    case .shapeMismatch(let name, let expected, let actual):
      return "parameter '\(name)' has shape \(expected), got a tensor of shape \(actual)"
    }
  }
}
