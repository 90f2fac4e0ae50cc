/// A problem with a probability-map parameter or input; each case names the parameter and what is wrong.
public enum ProbabilityMapError: Error, Equatable, CustomStringConvertible {
  /// A parameter (alpha, k, temperature, margin) is out of its domain.
  case invalidParameter(String)
  /// The scores or targets have the wrong shape.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .invalidParameter(let message), .invalidInput(let message): return message
    }
  }
}
