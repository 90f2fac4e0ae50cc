import TensorCore

/// A trainable linear map from `tokens × inputFeatures` to `tokens × outputFeatures` with its backward: the
/// seam through which a model takes a dense ``Linear`` or a ``MonarchLinearLayer`` of the same shape.
///
/// Models declare their configurable layers with ``LinearLayerKind/makeLayer(_:inputFeatures:outputFeatures:bias:layout:)``
/// and run them through this protocol, so the MLP classifier and the language models' feed-forward blocks
/// take either kind the same way, and ``LoRALinearLayer`` wraps either with low-rank adapters. Inputs and
/// outputs must have contiguous rows (Monarch's kernels read whole rows).
public protocol LinearLayer: Sendable {
  /// The width of the input.
  var inputFeatures: Int { get }
  /// The width of the output.
  var outputFeatures: Int { get }

  /// Writes `output = f(input)`.
  ///
  /// - Parameters:
  ///   - input: `tokens × inputFeatures`.
  ///   - output: `tokens × outputFeatures`, overwritten; must not overlap `input`.
  ///   - parameters: The store holding the layer's parameters.
  ///   - workspace: Scratch for layers that need it (an adapter's low-rank activations).
  ///   - dropoutStep: The training step that seeds the layer's own dropout, or `nil` for none (evaluation).
  func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace, dropoutStep: Int?)

  /// Accumulates the parameter gradients that are needed and writes (or adds) the input gradient when asked.
  ///
  /// - Parameters:
  ///   - input: What ``forward(_:into:parameters:workspace:dropoutStep:)`` received.
  ///   - outputGradient: `tokens × outputFeatures`.
  ///   - inputGradient: Where `∂L/∂x` goes, or `nil` to skip it.
  ///   - parameters: The store whose gradients receive the parameter gradients.
  ///   - workspace: Scratch for layers that need it (an accumulating Monarch input gradient).
  ///   - dropoutStep: What ``forward(_:into:parameters:workspace:dropoutStep:)`` received.
  func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?)

  /// The layer's own initialization (PyTorch's `nn.Linear` default for dense, variance-matched for Monarch).
  func initialize(_ store: ParameterStore, using generator: inout SeededGenerator)

  /// GPT-2's initialization: weights such that the map's matrix has entries of standard deviation about
  /// `standardDeviation` (normal), biases zero.
  func initializeNormal(_ store: ParameterStore, standardDeviation: Float, using generator: inout SeededGenerator)
}

extension Linear: LinearLayer {
  /// ``forward(_:into:parameters:)``; a dense layer needs no scratch and has no dropout.
  public func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace, dropoutStep: Int?
  ) {
    forward(input, into: output, parameters: parameters)
  }

  /// ``backward(input:outputGradient:inputGradient:parameters:)``; a dense layer needs no scratch.
  public func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) {
    backward(input: input, outputGradient: outputGradient, inputGradient: inputGradient, parameters: parameters)
  }

  /// Weight normal with the given standard deviation, bias zero (GPT-2 and nanoGPT).
  public func initializeNormal(
    _ store: ParameterStore, standardDeviation: Float, using generator: inout SeededGenerator
  ) {
    store.fillNormal(weight, standardDeviation: standardDeviation, using: &generator)
    if let bias { store.fill(bias, with: 0) }
  }
}

extension MonarchLinearLayer: LinearLayer {
  /// ``forward(_:into:parameters:)``; the layer needs no scratch and has no dropout.
  public func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace, dropoutStep: Int?
  ) {
    forward(input, into: output, parameters: parameters)
  }

  /// ``backward(input:outputGradient:inputGradient:parameters:workspace:)``; the layer has no dropout.
  public func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) {
    backward(
      input: input, outputGradient: outputGradient, inputGradient: inputGradient, parameters: parameters,
      workspace: workspace)
  }

  /// Both factors normal with standard deviation `√(σ/√ρ)`, bias zero: each entry of the composed matrix is a
  /// sum of `ρ = r/k` products of one entry of each factor (the slice rank), so its variance is
  /// `ρ·(σ/√ρ)² = σ²`, that of GPT-2's dense weight.
  public func initializeNormal(
    _ store: ParameterStore, standardDeviation: Float, using generator: inout SeededGenerator
  ) {
    let productsPerEntry = Double(monarchLayout.secondBlockColumns) / Double(monarchLayout.inBlocks)
    let factorDeviation = Float((Double(standardDeviation) / productsPerEntry.squareRoot()).squareRoot())
    store.fillNormal(w1, standardDeviation: factorDeviation, using: &generator)
    store.fillNormal(w2, standardDeviation: factorDeviation, using: &generator)
    if let bias { store.fill(bias, with: 0) }
  }
}
