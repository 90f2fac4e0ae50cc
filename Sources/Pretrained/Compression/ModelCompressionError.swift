/// Why a Monarch compression of a checkpoint or model folder cannot be done, named by the pattern, setting,
/// tensor or path.
public enum ModelCompressionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The include pattern matches no 2-D weight; `candidates` are the names it could have matched.
  case includeMatchedNothing(pattern: String, candidates: [String])
  /// No layer is compressed: each is left dense for the reason given (`notes`, tensor and reason).
  case noLayerCompressed(notes: [CompressionNote])
  /// The output folder exists and is not an earlier compression output (or an empty folder).
  case outputFolderInUse(path: String, reason: String)
  /// The output folder is the input folder, or lies where writing it would replace the input.
  case outputIsInput(path: String, input: String)
  /// A file of the folder cannot be read, written or renamed.
  case fileSystem(path: String, reason: String)

  public var description: String {
    switch self {
    case .includeMatchedNothing(let pattern, let candidates):
      let shown = candidates.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
      let more = candidates.count > 8 ? " and \(candidates.count - 8) more" : ""
      return candidates.isEmpty
        ? "the include pattern '\(pattern)' matches nothing, and the checkpoint has no 2-D weights"
        : "the include pattern '\(pattern)' matches no 2-D weight; candidates: \(shown)\(more)"
    case .noLayerCompressed(let notes):
      let shown = notes.prefix(3).map(\.description).joined(separator: "; ")
      return "no layer would be compressed (\(notes.count) left dense): \(shown)\(notes.count > 3 ? "; ..." : "")"
    case .outputFolderInUse(let path, let reason):
      return "\(path): \(reason); choose a new folder (an earlier compression output is replaced)"
    case .outputIsInput(let path, let input):
      return "\(path) is the input folder \(input); refusing to overwrite an input"
    case .fileSystem(let path, let reason):
      return "\(path): \(reason)"
    }
  }
}
