import TensorCore

/// Where a backward pass puts the gradient with respect to its input, and whether it overwrites or adds.
///
/// Backward passes take an optional `InputGradient`: `nil` skips the input gradient entirely (the first layer
/// of a model, whose input is data). Adding suits a tensor used twice, as the residual stream is.
public struct InputGradient {
  /// The gradient's memory, shaped like the layer's input.
  public let view: MutableMatrixView<Float>
  /// Whether the gradient is added to what `view` holds (`true`) or replaces it (`false`).
  public let accumulates: Bool

  /// Replace the contents of `view` by the gradient.
  public static func overwrite(_ view: MutableMatrixView<Float>) -> InputGradient {
    InputGradient(view: view, accumulates: false)
  }

  /// Add the gradient to the contents of `view`.
  public static func accumulate(_ view: MutableMatrixView<Float>) -> InputGradient {
    InputGradient(view: view, accumulates: true)
  }

  /// Writes one element: `view[i, j] = value` or `view[i, j] += value`.
  @inline(__always)
  func store(_ value: Float, row: Int, column: Int) {
    let pointer = view.base + row * view.leadingDimension + column
    pointer.pointee = accumulates ? pointer.pointee + value : value
  }

  /// The BLAS `beta` that writes a product into `view` this way.
  var beta: Float { accumulates ? 1 : 0 }

  func requireShape(rows: Int, columns: Int, _ layer: String) {
    precondition(
      view.rows == rows && view.columns == columns,
      "\(layer): input gradient is \(view.rows)×\(view.columns), input is \(rows)×\(columns)")
  }
}

/// Stops with a message naming the layer when two matrices that must have one shape do not.
func requireShape(
  _ view: MatrixView<Float>, rows: Int, columns: Int, _ what: String, _ layer: String
) {
  precondition(
    view.rows == rows && view.columns == columns,
    "\(layer): \(what) is \(view.rows)×\(view.columns), expected \(rows)×\(columns)")
}
