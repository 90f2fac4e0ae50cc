import TensorCore

/// The MLP of a decoder block, `c_proj(GELU(c_fc(x)))` (nanoGPT's `mlp.c_fc`, `mlp.c_proj`), its two linear
/// maps any ``LinearLayer`` (dense or Monarch, as ``LanguageModelConfiguration/feedForwardLayers`` chose).
struct FeedForward: Sendable {
  /// What ``forward(_:into:parameters:workspace:)`` keeps for the backward pass.
  struct Record {
    /// `c_fc`'s output, before the activation.
    let hidden: MutableMatrixView<Float>
    /// The activation's output, `c_proj`'s input.
    let activated: MutableMatrixView<Float>
  }

  let expansion: any LinearLayer
  let activation: GELU
  let projection: any LinearLayer

  /// Writes the block's MLP output into `output`; `dropoutStep` seeds the layers' adapter dropout (`nil`:
  /// none).
  ///
  /// - Complexity: Two GEMMs of `tokens × width × hidden`.
  func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace, dropoutStep: Int?
  ) -> Record {
    let hidden = workspace.matrix(rows: input.rows, columns: expansion.outputFeatures)
    expansion.forward(input, into: hidden, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    let activated = workspace.matrix(rows: input.rows, columns: expansion.outputFeatures)
    activation.forward(hidden.readOnly, into: activated)
    projection.forward(
      activated.readOnly, into: output, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    return Record(hidden: hidden, activated: activated)
  }

  /// The backward pass (with the forward pass's `dropoutStep`): parameter gradients into the store, the input
  /// gradient into `inputGradient`.
  func backward(
    input: MatrixView<Float>, record: Record, outputGradient: MatrixView<Float>, inputGradient: InputGradient,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) {
    let gradient = workspace.matrix(rows: input.rows, columns: expansion.outputFeatures)
    projection.backward(
      input: record.activated.readOnly, outputGradient: outputGradient, inputGradient: .overwrite(gradient),
      parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    // In place: each element reads its own gradient before overwriting it.
    activation.backward(input: record.hidden.readOnly, outputGradient: gradient.readOnly, inputGradient: .overwrite(gradient))
    expansion.backward(
      input: input, outputGradient: gradient.readOnly, inputGradient: inputGradient, parameters: parameters,
      workspace: workspace, dropoutStep: dropoutStep)
  }
}
