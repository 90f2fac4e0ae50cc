import TensorCore

/// Per-row loss values and the gradient of their sum with respect to the scores.
public struct LossResult<S: ProbabilityScalar>: Sendable {
  /// The loss of every row, in `Double` (`+inf` where the target score is `-inf`).
  public let values: [Double]
  /// `∂(Σ values)/∂scores`, the shape of the scores.
  public let gradient: Tensor<S>

  /// The mean loss over the rows.
  public var mean: Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}

/// Checks class-index targets against the rows of `scores` and returns the row layout.
func checkTargets<S>(_ targets: [Int], for scores: Tensor<S>) throws -> (rows: Int, n: Int) {
  let (rows, n) = try RowDriver.rowShape(scores, name: "scores")
  guard targets.count == rows else {
    throw ProbabilityMapError.targetCountMismatch(targets: targets.count, rows: rows)
  }
  if let bad = targets.firstIndex(where: { !(0..<n).contains($0) }) {
    throw ProbabilityMapError.targetOutOfRange(row: bad, target: targets[bad], classes: n)
  }
  return (rows, n)
}
