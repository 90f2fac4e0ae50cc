/// A problem with a state-space parameter, an input or a computation; each case names what is wrong.
///
/// The cases separate who is at fault: ``invalidParameter(_:)`` is a value outside its documented domain
/// (a state size, length, step, measure or method), ``invalidInput(_:)`` is data that does not fit together
/// or holds NaN or an infinity (shapes, signals, parameter vectors, upstream gradients), and
/// ``numericalFailure(_:)`` is a computation on valid data that broke down (a singular system, an overflow).
public enum StateSpaceError: Error, Equatable, CustomStringConvertible {
  /// A parameter (state size, length, step, measure, method) is out of its domain.
  case invalidParameter(String)
  /// An input signal or parameter tensor has the wrong shape or holds non-finite values.
  case invalidInput(String)
  /// A computation on valid inputs broke down: a singular system, or a result that overflows `Double`.
  case numericalFailure(String)

  public var description: String {
    switch self {
    case .invalidParameter(let message), .invalidInput(let message), .numericalFailure(let message):
      return message
    }
  }
}
