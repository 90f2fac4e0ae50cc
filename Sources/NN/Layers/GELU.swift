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
    case .none: return 0.5 * x * (1 + errorFunction(x * Self.inverseSquareRootOfTwo))
    case .tanh:
      // ½(1 + tanh u) = σ(2u): one exponential, and no cancellation where tanh u is near −1.
      return x * Self.logistic(2 * Self.squareRootOfTwoOverPi * (x + Self.cubicCoefficient * x * x * x))
    }
  }

  /// The derivative at one value: `Φ(x) + x·φ(x)` for the exact form, and the derivative of the tanh formula
  /// for the other.
  @inline(__always)
  public func derivative(_ x: Float) -> Float {
    switch approximation {
    case .none:
      let cdf = 0.5 * (1 + errorFunction(x * Self.inverseSquareRootOfTwo))
      return cdf + x * Self.inverseSquareRootOfTwoPi * Float.exponential(-0.5 * x * x)
    case .tanh:
      // With s = σ(2u) = ½(1 + tanh u): ½(1 − tanh² u) = 2s(1 − s).
      let s = Self.logistic(2 * Self.squareRootOfTwoOverPi * (x + Self.cubicCoefficient * x * x * x))
      let innerDerivative = Self.squareRootOfTwoOverPi * (1 + 3 * Self.cubicCoefficient * x * x)
      return s + 2 * x * s * (1 - s) * innerDerivative
    }
  }

  /// `1/(1 + e⁻ᶻ)`; 0 or 1 where the exponential overflows or underflows.
  @inline(__always)
  private static func logistic(_ z: Float) -> Float { 1 / (1 + Float.exponential(-z)) }

  /// `output = GELU(input)` elementwise.
  ///
  /// - Complexity: O(elements).
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>) {
    elementwiseForward(input, into: output, "GELU", function: value)
  }

  /// `dx = dy · GELU′(x)`.
  ///
  /// - Complexity: O(elements).
  public func backward(input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient) {
    elementwiseBackward(
      input: input, outputGradient: outputGradient, inputGradient: inputGradient, "GELU", derivative: derivative)
  }
}
