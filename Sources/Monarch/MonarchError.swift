/// A problem with a Monarch shape, factor or input; each case names what is wrong.
public enum MonarchError: Error, Equatable, CustomStringConvertible {
  /// The requested layout does not fit the matrix shape.
  case invalidLayout(String)
  /// A matrix or factor has the wrong shape or holds NaN or infinity.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .invalidLayout(let message), .invalidInput(let message): return message
    }
  }
}
