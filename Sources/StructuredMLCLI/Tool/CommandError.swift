/// Why a command stopped: a usage error (exit code 2, printed with the usage line) or a runtime failure
/// (exit code 1).
public enum CommandError: Error, Equatable, CustomStringConvertible {
  /// The command line is wrong: an unknown option, a missing or malformed value.
  case usage(String)
  /// The command was well formed but could not be carried out.
  case failure(String)

  public var description: String {
    switch self {
    case .usage(let message), .failure(let message): return message
    }
  }

  /// The process exit code for this error.
  public var exitCode: Int32 {
    switch self {
    case .usage: return 2
    case .failure: return 1
    }
  }
}
