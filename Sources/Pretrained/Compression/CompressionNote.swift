import Monarch

/// A 2-D tensor that a compression leaves as it is, and why.
public struct CompressionNote: Sendable, Equatable, CustomStringConvertible {
  /// Why the tensor stays as it is.
  public enum Reason: Sendable, Equatable, CustomStringConvertible {
    /// A lookup table (embedding or tied head), not a linear map.
    case lookup
    /// The layout rule leaves the layer dense (the layout does not fit, would not be smaller, or is over budget).
    case leftDense(MonarchLayoutDecision)

    public var description: String {
      switch self {
      case .lookup: return "lookup table (an embedding or tied head), not a linear map"
      case .leftDense(let decision): return decision.description
      }
    }
  }

  /// The tensor's name.
  public let tensor: String
  /// Why it is not compressed.
  public let reason: Reason

  /// Creates a note.
  public init(tensor: String, reason: Reason) {
    self.tensor = tensor
    self.reason = reason
  }

  public var description: String { "'\(tensor)': \(reason)" }
}
