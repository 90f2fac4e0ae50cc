import TensorCore

/// A linear layer that is a ``Linear`` or a ``MonarchLinearLayer``, as a ``LinearLayerKind`` chose: models
/// declare and run their configurable layers through it.
public enum DenseOrMonarchLinear: Sendable {
  /// A dense layer.
  case dense(Linear)
  /// A Monarch layer.
  case monarch(MonarchLinearLayer)

  /// Declares a layer of the chosen kind under `name`.
  ///
  /// - Throws: ``TrainingError`` for a size below 1 or Monarch blocks that do not fit the widths, or a
  ///   ``ParameterError`` for a name already declared.
  public init(
    _ name: String, kind: LinearLayerKind, inputFeatures: Int, outputFeatures: Int, bias: Bool = true,
    layout: inout ParameterLayout
  ) throws {
    switch kind {
    case .dense:
      self = .dense(
        try Linear(name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, layout: &layout))
    case .monarch(let blocks):
      try requirePositive(inputFeatures, "inputFeatures", name)
      try requirePositive(outputFeatures, "outputFeatures", name)
      self = .monarch(
        try MonarchLinearLayer(
          name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, blocks: blocks, bias: bias,
          layout: &layout))
    }
  }

  /// The layer's own initialization (PyTorch's for dense, variance-matched for Monarch).
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    switch self {
    case .dense(let layer): layer.initialize(store, using: &generator)
    case .monarch(let layer): layer.initialize(store, using: &generator)
    }
  }

  /// Computes `output = input Wᵀ + b` (rows of both contiguous for a Monarch layer).
  ///
  /// - Complexity: That of the chosen layer's forward pass.
  public func forward(_ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore) {
    switch self {
    case .dense(let layer): layer.forward(input, into: output, parameters: parameters)
    case .monarch(let layer): layer.forward(input, into: output, parameters: parameters)
    }
  }

  /// The vector–Jacobian product of the chosen layer: parameter gradients that are needed, and the input
  /// gradient when asked.
  ///
  /// - Complexity: That of the chosen layer's backward pass.
  public func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore, workspace: Workspace
  ) {
    switch self {
    case .dense(let layer):
      layer.backward(input: input, outputGradient: outputGradient, inputGradient: inputGradient, parameters: parameters)
    case .monarch(let layer):
      layer.backward(
        input: input, outputGradient: outputGradient, inputGradient: inputGradient, parameters: parameters,
        workspace: workspace)
    }
  }
}
