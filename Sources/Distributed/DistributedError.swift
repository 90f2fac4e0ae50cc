/// What went wrong in a collective operation or in starting the process group.
public enum DistributedError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A rank that failed or vanished; `rank` is the failed rank where it is known.
  case rankFailed(rank: Int?, reason: String)
  /// The ranks disagree on something they must share (for example the hash of their command-line arguments).
  case ranksDisagree(what: String)
  /// A root rank outside `0 ..< size`.
  case invalidRoot(root: Int, size: Int)
  /// The process was started by a launcher (`mpirun`) but the MPI library could not be loaded.
  case libraryUnavailable(library: String, reason: String)
  /// `MPI_Init_thread` granted a lower thread level than the group needs.
  case threadLevelTooLow(required: Int, provided: Int)
  /// An MPI call returned an error code (with the library's text for it).
  case callFailed(function: String, code: Int, message: String)

  public var description: String {
    switch self {
    case .rankFailed(let rank, let reason):
      return rank.map { "rank \($0) failed: \(reason)" } ?? "a rank failed: \(reason)"
    case .ranksDisagree(let what):
      return "the ranks disagree on \(what)"
    case .invalidRoot(let root, let size):
      return "root rank \(root) is outside 0..<\(size)"
    case .libraryUnavailable(let library, let reason):
      return "started by mpirun, but the MPI library \(library) cannot be loaded (\(reason)); "
        + "install Open MPI (Debian: openmpi-bin libopenmpi-dev)"
    case .threadLevelTooLow(let required, let provided):
      return "MPI_Init_thread provided thread level \(provided), below the \(required) (MPI_THREAD_SERIALIZED) needed"
    case .callFailed(let function, let code, let message):
      return "\(function) failed with error \(code): \(message)"
    }
  }
}
