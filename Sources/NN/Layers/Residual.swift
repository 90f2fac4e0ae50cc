import TensorCore

/// The residual connection `y = a + b` (a block's input plus its branch).
///
/// Its backward passes `dy` unchanged to both summands; with ``InputGradient/accumulate(_:)`` the branch's
/// gradient adds onto the stream's in place.
public enum Residual {
  /// `output = a + b`; `output` may be `a` or `b`.
  ///
  /// - Complexity: O(elements).
  public static func forward(_ a: MatrixView<Float>, _ b: MatrixView<Float>, into output: MutableMatrixView<Float>) {
    requireShape(b, rows: a.rows, columns: a.columns, "second summand", "Residual")
    requireShape(output.readOnly, rows: a.rows, columns: a.columns, "output", "Residual")
    for i in 0..<a.rows {
      let (x, y, z) = (a.row(i), b.row(i), output.row(i))
      for j in 0..<a.columns { z[j] = x[j] + y[j] }
    }
  }

  /// Writes (or adds) `dy` into the gradient of each summand that asks for it (`nil`: not needed).
  ///
  /// - Complexity: O(elements) per gradient; nothing is allocated.
  public static func backward(
    outputGradient: MatrixView<Float>, firstGradient: InputGradient?, secondGradient: InputGradient?
  ) {
    if let firstGradient { pass(outputGradient, to: firstGradient) }
    if let secondGradient { pass(outputGradient, to: secondGradient) }
  }

  private static func pass(_ outputGradient: MatrixView<Float>, to target: InputGradient) {
    target.requireShape(rows: outputGradient.rows, columns: outputGradient.columns, "Residual")
    for i in 0..<outputGradient.rows {
      if target.accumulates {
        axpy(count: outputGradient.columns, alpha: 1, outputGradient.row(i), target.view.row(i))
      } else if target.view.base != outputGradient.base || target.view.leadingDimension != outputGradient.leadingDimension {
        target.view.row(i).update(from: outputGradient.row(i), count: outputGradient.columns)
      }
    }
  }
}
