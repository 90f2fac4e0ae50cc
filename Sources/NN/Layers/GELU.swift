import CKernels
import TensorCore

/// The Gaussian error linear unit `x·Φ(x)` (Hendrycks and Gimpel 2016), exact or in GPT-2's tanh form.
///
/// The two forms differ by up to about 1e-3, so a pretrained model must use the one it was trained with:
/// BERT's `"gelu"` is ``Approximation/none``, GPT-2's `"gelu_new"` is ``Approximation/tanh``.
public struct GELU: Sendable {
  /// Which formula computes Φ.
  public enum Approximation: String, Sendable, CaseIterable, Codable {
    /// `0.5·x·(1 + erf(x/√2))` (PyTorch's `approximate="none"`).
    case none
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (PyTorch's `approximate="tanh"`).
    case tanh
  }

  /// The formula.
  public let approximation: Approximation

  /// Creates the activation.
  public init(approximation: Approximation = .none) { self.approximation = approximation }

  private static let inverseSquareRootOfTwo: Float = 0.70710678118654752
  private static let inverseSquareRootOfTwoPi: Float = 0.39894228040143268
  private static let squareRootOfTwoOverPi: Float = 0.79788456080286536
  private static let cubicCoefficient: Float = 0.044715

  /// The activation of one value.
  @inline(__always)
  public func value(_ x: Float) -> Float {
    switch approximation {
    case .none: return Self.exactValue(x)
    case .tanh: return Self.tanhValue(x)
    }
  }

  @inline(__always)
  private static func exactValue(_ x: Float) -> Float { 0.5 * x * (1 + errorFunction(x * inverseSquareRootOfTwo)) }

  /// ½(1 + tanh u) = σ(2u): one exponential, and no cancellation where tanh u is near −1.
  @inline(__always)
  private static func tanhValue(_ x: Float) -> Float {
    x * logistic(2 * squareRootOfTwoOverPi * (x + cubicCoefficient * x * x * x))
  }

  /// The derivative at one value: `Φ(x) + x·φ(x)` for the exact form, and the derivative of the tanh formula
  /// for the other.
  @inline(__always)
  public func derivative(_ x: Float) -> Float {
    switch approximation {
    case .none: return Self.exactDerivative(x)
    case .tanh: return Self.tanhDerivative(x)
    }
  }

  @inline(__always)
  private static func exactDerivative(_ x: Float) -> Float {
    let cdf = 0.5 * (1 + errorFunction(x * inverseSquareRootOfTwo))
    return cdf + x * inverseSquareRootOfTwoPi * Float.exponential(-0.5 * x * x)
  }

  /// With s = σ(2u) = ½(1 + tanh u): ½(1 − tanh² u) = 2s(1 − s).
  @inline(__always)
  private static func tanhDerivative(_ x: Float) -> Float {
    let s = logistic(2 * squareRootOfTwoOverPi * (x + cubicCoefficient * x * x * x))
    let innerDerivative = squareRootOfTwoOverPi * (1 + 3 * cubicCoefficient * x * x)
    return s + 2 * x * s * (1 - s) * innerDerivative
  }

  /// `1/(1 + e⁻ᶻ)`; 0 or 1 where the exponential overflows or underflows.
  @inline(__always)
  private static func logistic(_ z: Float) -> Float { 1 / (1 + Float.exponential(-z)) }

  /// `output = GELU(input)` elementwise (`output` may be `input`), one vectorized C kernel call per row.
  ///
  /// - Complexity: O(elements).
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>) {
    requireShape(output.readOnly, rows: input.rows, columns: input.columns, "output", "GELU")
    let (columns, level, tanh) = (input.columns, sml_cpu_vector_level(), approximation == .tanh)
    forEachRowChunk(input.rows, columns: columns) { i in
      if tanh {
        sml_gelu_tanh_f(input.row(i), output.row(i), columns, level)
      } else {
        sml_gelu_f(input.row(i), output.row(i), columns, level)
      }
    }
  }

  /// `dx = dy · GELU′(x)`, recomputing Φ from the stored input (cheaper than storing it: the kernel runs at
  /// memory speed), one vectorized C kernel call per row.
  ///
  /// - Complexity: O(elements).
  public func backward(input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient) {
    requireShape(outputGradient, rows: input.rows, columns: input.columns, "output gradient", "GELU")
    inputGradient.requireShape(rows: input.rows, columns: input.columns, "GELU")
    let (columns, level, tanh) = (input.columns, sml_cpu_vector_level(), approximation == .tanh)
    let dx = inputGradient.view
    let accumulate: Int32 = inputGradient.accumulates ? 1 : 0
    forEachRowChunk(input.rows, columns: columns) { i in
      if tanh {
        sml_gelu_tanh_backward_f(input.row(i), outputGradient.row(i), dx.row(i), columns, accumulate, level)
      } else {
        sml_gelu_backward_f(input.row(i), outputGradient.row(i), dx.row(i), columns, accumulate, level)
      }
    }
  }

  /// Runs `body(row)` for every row, rows split across cores in chunks of at least 16,384 elements.
  @inline(__always)
  private func forEachRowChunk(_ rows: Int, columns: Int, _ body: (Int) -> Void) {
    parallelFor(rows, minimumChunk: max(1, 16384 / max(columns, 1))) { range in
      for i in range { body(i) }
    }
  }
}
