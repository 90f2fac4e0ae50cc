/// What went wrong in a collective operation or in starting the process group.
public enum DistributedError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A rank that failed or vanished; `rank` is the failed rank where it is known.
  case rankFailed(rank: Int?, reason: String)
  /// The ranks disagree on something they must share (for example the hash of their command-line arguments).
  case ranksDisagree(what: String)
  /// A root rank outside `0 ..< size`.
  case invalidRoot(root: Int, size: Int)

  public var description: String {
    switch self {
    case .rankFailed(let rank, let reason):
      return rank.map { "rank \($0) failed: \(reason)" } ?? "a rank failed: \(reason)"
    case .ranksDisagree(let what):
      return "the ranks disagree on \(what)"
    case .invalidRoot(let root, let size):
      return "root rank \(root) is outside 0..<\(size)"
    }
  }
}
