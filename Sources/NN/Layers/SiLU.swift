import TensorCore

/// The sigmoid linear unit (swish) `x·σ(x)`, with derivative `σ(x)·(1 + x·(1 − σ(x)))`.
public struct SiLU: Sendable {
  /// Creates the activation.
  public init() {}

  /// The activation of one value.
  @inline(__always)
  public func value(_ x: Float) -> Float { x / (1 + Float.exponential(-x)) }

  /// The derivative at one value.
  @inline(__always)
  public func derivative(_ x: Float) -> Float {
    let sigmoid = 1 / (1 + Float.exponential(-x))
    return sigmoid * (1 + x * (1 - sigmoid))
  }

  /// `output = SiLU(input)` elementwise.
  ///
  /// - Complexity: O(elements).
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>) {
    elementwiseForward(input, into: output, "SiLU", function: value)
  }

  /// `dx = dy · SiLU′(x)`.
  ///
  /// - Complexity: O(elements).
  public func backward(input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient) {
    elementwiseBackward(
      input: input, outputGradient: outputGradient, inputGradient: inputGradient, "SiLU", derivative: derivative)
  }
}
