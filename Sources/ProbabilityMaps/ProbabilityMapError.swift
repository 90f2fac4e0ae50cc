/// A problem with a probability-map parameter or input; each case names the parameter or tensor and what is
/// wrong.
public enum ProbabilityMapError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A parameter (alpha, k, temperature, margin) outside its domain: `requirement` says what it must be.
  case invalidParameter(map: String, parameter: String, value: Double, requirement: String)
  /// A per-row parameter list (entmax's alphas) whose length is neither 1 nor the number of rows.
  case parameterCountMismatch(map: String, parameter: String, count: Int, rows: Int)
  /// A tensor of rank 0: a map works along the last axis.
  case scalarInput(tensor: String)
  /// A tensor whose last axis is empty.
  case emptyLastAxis(tensor: String, shape: [Int])
  /// Two tensors that must have one shape and do not.
  case shapeMismatch(tensor: String, shape: [Int], reference: String, referenceShape: [Int])
  /// A loss given a number of targets other than the number of score rows.
  case targetCountMismatch(targets: Int, rows: Int)
  /// A target class outside `0 ..< classes`.
  case targetOutOfRange(row: Int, target: Int, classes: Int)

  /// The parameter at fault, for errors a caller's setting caused (`nil` for input errors).
  public var parameter: String? {
    switch self {
    case .invalidParameter(_, let parameter, _, _), .parameterCountMismatch(_, let parameter, _, _): return parameter
    default: return nil
    }
  }

  public var description: String {
    switch self {
    case .invalidParameter(let map, let parameter, let value, let requirement):
      return "\(map) \(parameter) must be \(requirement), got \(value)"
    case .parameterCountMismatch(let map, let parameter, let count, let rows):
      return "\(map) \(parameter): \(count) values for \(rows) rows (give one, or one per row)"
    case .scalarInput(let tensor):
      return "\(tensor): a map needs at least one axis, got a scalar"
    case .emptyLastAxis(let tensor, let shape):
      return "\(tensor): the last axis is empty (shape \(shape))"
    case .shapeMismatch(let tensor, let shape, let reference, let referenceShape):
      return "\(tensor) has shape \(shape) but \(reference) has shape \(referenceShape)"
    case .targetCountMismatch(let targets, let rows):
      return "targets: \(targets) targets for \(rows) rows of scores"
    case .targetOutOfRange(let row, let target, let classes):
      return "targets: row \(row) has class \(target), outside 0..<\(classes)"
    }
  }
}
