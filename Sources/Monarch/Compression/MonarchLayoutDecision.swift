/// What a compression does with one dense layer: replace it by Monarch factors of a layout, or leave it dense
/// for a stated reason.
public enum MonarchLayoutDecision: Sendable, Equatable, CustomStringConvertible {
  /// Project the layer onto this layout.
  case compress(MonarchLayout)
  /// The blocks do not fit the layer's shape (`reason` is the layout's own error).
  case layoutDoesNotFit(reason: String)
  /// The layout would store `parameters`, at least the dense layer's `dense`, so compressing would enlarge it.
  case notSmaller(layout: MonarchLayout, parameters: Int, dense: Int)
  /// No layout of the allowed block counts fits a budget of `budget` parameters (the smallest needs `smallest`).
  case overBudget(budget: Int, smallest: Int)

  /// The layout when the layer is compressed, otherwise `nil`.
  public var layout: MonarchLayout? {
    if case .compress(let layout) = self { return layout }
    return nil
  }

  public var description: String {
    switch self {
    case .compress(let layout):
      return "compressed: \(layout)"
    case .layoutDoesNotFit(let reason):
      return "left dense: the layout does not fit (\(reason))"
    case .notSmaller(let layout, let parameters, let dense):
      return "left dense: \(layout) keeps \(parameters) parameters, not fewer than the dense \(dense)"
    case .overBudget(let budget, let smallest):
      return "left dense: no layout fits the budget of \(budget) parameters (the smallest keeps \(smallest))"
    }
  }
}
