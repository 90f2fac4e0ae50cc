import TensorCore

/// Inverted dropout: each element is zeroed with probability `p` and the survivors are scaled by `1/(1 − p)`.
///
/// The mask is a pure function of the layer's seed, the step counter and the element's position (a
/// SplitMix64 hash), so it is reproducible across runs and resumes, costs no memory, and the backward pass
/// recomputes it instead of storing it. Give every dropout layer of a model its own seed.
public struct Dropout: Sendable {
  /// The probability `p` of zeroing an element, in `[0, 1)`.
  public let probability: Double
  /// The seed of this layer's masks.
  public let seed: UInt64

  /// Creates the layer.
  ///
  /// - Throws: ``TrainingError/invalidProbability(layer:value:)`` when `probability` is outside `[0, 1)`.
  public init(probability: Double, seed: UInt64) throws(TrainingError) {
    guard probability >= 0, probability < 1 else { throw .invalidProbability(layer: "Dropout", value: probability) }
    self.probability = probability
    self.seed = seed
  }

  /// Whether element `(row, column)` of a `rows × columns` input survives at `step`.
  @inline(__always)
  public func keeps(row: Int, column: Int, columns: Int, step: Int) -> Bool {
    var z = seed &+ UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15
    z ^= UInt64(truncatingIfNeeded: row * columns + column) &* 0xD1B5_4A32_D192_ED03
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Double(z >> 11) * 0x1.0p-53 >= probability
  }

  /// Applies the mask of `step` to `input` (or copies it when `p = 0`); `output` may be `input` itself.
  ///
  /// - Complexity: O(elements).
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>, step: Int) {
    let survivorScale = Float(1 / (1 - probability))
    let columns = input.columns
    elementwiseForwardIndexed(input, into: output) { x, i, j in
      keeps(row: i, column: j, columns: columns, step: step) ? x * survivorScale : 0
    }
  }

  /// `dx = dy · mask / (1 − p)` with the mask of `step`.
  ///
  /// - Complexity: O(elements).
  public func backward(outputGradient: MatrixView<Float>, inputGradient: InputGradient, step: Int) {
    inputGradient.requireShape(rows: outputGradient.rows, columns: outputGradient.columns, "Dropout")
    let survivorScale = Float(1 / (1 - probability))
    let columns = outputGradient.columns
    forEachElement(outputGradient) { dy, i, j in
      inputGradient.store(keeps(row: i, column: j, columns: columns, step: step) ? dy * survivorScale : 0, row: i, column: j)
    }
  }
}

/// `output[i, j] = function(input[i, j], i, j)` for every element.
@inline(__always)
private func elementwiseForwardIndexed(
  _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, _ function: (Float, Int, Int) -> Float
) {
  requireShape(output.readOnly, rows: input.rows, columns: input.columns, "output", "Dropout")
  forEachElement(input) { x, i, j in output.row(i)[j] = function(x, i, j) }
}
