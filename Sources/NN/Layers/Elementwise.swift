import TensorCore

/// Runs `body(value, row, column)`'s result into `output` for every element of `input`, rows split across
/// cores. The shared driver of the elementwise layers.
@inline(__always)
func forEachElement(
  _ input: MatrixView<Float>, _ body: (_ x: Float, _ row: Int, _ column: Int) -> Void
) {
  let columns = input.columns
  parallelFor(input.rows, minimumChunk: max(1, 4096 / max(columns, 1))) { rows in
    for i in rows {
      let x = input.row(i)
      for j in 0..<columns { body(x[j], i, j) }
    }
  }
}

/// Runs the backward of an elementwise function: `dx = dy · f′(x)` for every element.
@inline(__always)
func elementwiseBackward(
  input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient, _ layer: String,
  derivative: (Float) -> Float
) {
  requireShape(outputGradient, rows: input.rows, columns: input.columns, "output gradient", layer)
  inputGradient.requireShape(rows: input.rows, columns: input.columns, layer)
  forEachElement(input) { x, i, j in
    inputGradient.store(outputGradient.row(i)[j] * derivative(x), row: i, column: j)
  }
}

/// Writes `f(x)` for every element of `input` into `output` (which may be `input` itself when the backward
/// pass does not need the input).
@inline(__always)
func elementwiseForward(
  _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, _ layer: String, function: (Float) -> Float
) {
  requireShape(output.readOnly, rows: input.rows, columns: input.columns, "output", layer)
  forEachElement(input) { x, i, j in output.row(i)[j] = function(x) }
}
