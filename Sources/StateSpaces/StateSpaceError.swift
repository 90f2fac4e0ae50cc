/// A problem with a state-space parameter or input; each case names the parameter and what is wrong.
public enum StateSpaceError: Error, Equatable, CustomStringConvertible {
  /// A parameter (state size, length, step, measure, method) is out of its domain.
  case invalidParameter(String)
  /// An input signal or parameter tensor has the wrong shape or holds non-finite values.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .invalidParameter(let message), .invalidInput(let message): return message
    }
  }
}
