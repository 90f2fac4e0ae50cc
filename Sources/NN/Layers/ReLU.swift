import TensorCore

/// The rectified linear unit `max(x, 0)`; its derivative is taken as 0 at 0, as PyTorch does.
public struct ReLU: Sendable {
  /// Creates the activation.
  public init() {}

  /// `output = max(input, 0)` elementwise.
  ///
  /// - Complexity: O(elements).
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>) {
    elementwiseForward(input, into: output, "ReLU") { $0 > 0 ? $0 : 0 }
  }

  /// `dx = dy` where `x > 0`, else 0.
  ///
  /// - Complexity: O(elements).
  public func backward(input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient) {
    elementwiseBackward(input: input, outputGradient: outputGradient, inputGradient: inputGradient, "ReLU") {
      $0 > 0 ? 1 : 0
    }
  }
}
