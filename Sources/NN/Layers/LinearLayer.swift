import TensorCore

/// A trainable linear map from `tokens × inputFeatures` to `tokens × outputFeatures` with its backward: the
/// seam through which a model's MLP takes a dense ``Linear`` or a structured layer of the same shape.
///
/// The signatures are ``Linear``'s, so a model wires any conforming layer the same way.
public protocol LinearLayer: Sendable {
  /// The width of the input.
  var inputFeatures: Int { get }
  /// The width of the output.
  var outputFeatures: Int { get }

  /// Writes `output = f(input)`.
  func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore)

  /// Accumulates the parameter gradients and writes (or adds) the input gradient when asked.
  func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore)

  /// GPT-2's initialization: weights such that the map's matrix has entries of about `standardDeviation`
  /// (normal), biases zero.
  func initializeNormal(_ store: ParameterStore, standardDeviation: Float, using generator: inout SeededGenerator)
}

extension Linear: LinearLayer {
  /// Weight normal with the given standard deviation, bias zero (GPT-2 and nanoGPT).
  public func initializeNormal(
    _ store: ParameterStore, standardDeviation: Float, using generator: inout SeededGenerator
  ) {
    store.fillNormal(weight, standardDeviation: standardDeviation, using: &generator)
    if let bias { store.fill(bias, with: 0) }
  }
}
