/// A problem with a state-space parameter, an input or a computation; each case names the operation and the
/// parameter or tensor at fault.
///
/// The cases separate who is at fault (``fault``): a parameter outside its documented domain (a state size,
/// length, step, measure or method), input data that does not fit together or holds NaN or an infinity (shapes,
/// signals, parameter vectors, upstream gradients), or a computation on valid data that broke down (a singular
/// system, an overflow).
public enum StateSpaceError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A parameter outside its domain: `value` is the value as given, `requirement` what it must be
  /// (for example `"even and at least 2"`).
  case invalidParameter(operation: String, parameter: String, value: String, requirement: String)
  /// A name that is none of the choices (a HiPPO measure, a discretization method).
  case unknownName(kind: String, name: String, choices: [String])
  /// Sizes whose element count overflows `Int`.
  case sizeOverflow(operation: String, sizes: [Int])
  /// A tensor with `count` entries where the operation needs `expected`.
  case countMismatch(operation: String, tensor: String, count: Int, expected: Int)
  /// Tensors whose entry counts do not fit together; `requirement` says how they must relate.
  case countsDisagree(operation: String, tensors: [String], counts: [Int], requirement: String)
  /// An input with no entries.
  case emptyInput(operation: String, tensor: String)
  /// An input that holds NaN or an infinity; `index` is the first bad entry.
  case nonFiniteInput(operation: String, tensor: String, index: Int)
  /// A computed result that overflows `Double`; `index` is the first non-finite entry.
  case overflow(operation: String, tensor: String, index: Int)
  /// A computation on valid inputs that broke down (a singular system, a failed eigendecomposition, an
  /// unstable recurrence); `reason` says how.
  case numericalFailure(operation: String, reason: String)

  /// Who is at fault for a ``StateSpaceError``.
  public enum Fault: Sendable, Equatable {
    /// A parameter (size, length, step, measure, method) outside its domain.
    case parameter
    /// Input data that does not fit together or is not finite.
    case input
    /// A computation on valid data that broke down.
    case numerical
  }

  /// Whether the error is the caller's parameter, the caller's data, or the computation.
  public var fault: Fault {
    switch self {
    case .invalidParameter, .unknownName, .sizeOverflow: return .parameter
    case .countMismatch, .countsDisagree, .emptyInput, .nonFiniteInput: return .input
    case .overflow, .numericalFailure: return .numerical
    }
  }

  public var description: String {
    switch self {
    case .invalidParameter(let operation, let parameter, let value, let requirement):
      return "\(operation): \(parameter) must be \(requirement), got \(value)"
    case .unknownName(let kind, let name, let choices):
      return "unknown \(kind) '\(name)' (expected \(choices.joined(separator: ", ")))"
    case .sizeOverflow(let operation, let sizes):
      return "\(operation): the sizes \(sizes.map(String.init).joined(separator: " × ")) overflow the element count"
    case .countMismatch(let operation, let tensor, let count, let expected):
      return "\(operation): \(tensor) has \(count) entries, not \(expected)"
    case .countsDisagree(let operation, let tensors, let counts, let requirement):
      let listed = zip(tensors, counts).map { "\($0) has \($1)" }.joined(separator: ", ")
      return "\(operation): \(listed) entries; \(requirement)"
    case .emptyInput(let operation, let tensor):
      return "\(operation): \(tensor) is empty"
    case .nonFiniteInput(let operation, let tensor, let index):
      return "\(operation): \(tensor) holds a non-finite value at index \(index)"
    case .overflow(let operation, let tensor, let index):
      return "\(operation): \(tensor) overflows (a non-finite value at index \(index))"
    case .numericalFailure(let operation, let reason):
      return "\(operation): \(reason)"
    }
  }
}
