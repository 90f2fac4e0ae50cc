import TensorCore

/// A state-space block's sequence mixer: `out_proj(GELU(longConvolution(x)))`, the convolution's kernel
/// period fixed to the context (as the S4 and S4D blocks, with a linear output projection).
struct ConvolutionMixer: Sendable {
  /// What ``forward(_:batch:sequenceLength:into:parameters:workspace:)`` keeps for the backward pass.
  struct Record {
    /// The convolution's output, before the activation.
    let convolved: MutableMatrixView<Float>
    /// The convolution's record.
    let convolution: LongConvolution.Record
    /// The activation's output, `out_proj`'s input.
    let activated: MutableMatrixView<Float>
  }

  let convolution: LongConvolution
  let activation: GELU
  let projection: any LinearLayer

  /// Declares the convolution's parameters under `prefix` and `prefix.out_proj` (with the adapters `plan` has
  /// for it).
  init(
    _ prefix: String, width: Int, kernel: LongConvolution.Kernel, contextLength: Int, activation: GELU,
    plan: inout LoRAPlan, layout: inout ParameterLayout
  ) throws {
    convolution = try LongConvolution(
      prefix, channels: width, kernel: kernel, kernelLength: contextLength, layout: &layout)
    self.activation = activation
    let projectionName = ParameterLayout.qualified(prefix, "out_proj")
    projection = try plan.wrap(
      projectionName, try Linear(projectionName, inputFeatures: width, outputFeatures: width, layout: &layout),
      layout: &layout)
  }

  func initialize(_ store: ParameterStore, residualStandardDeviation: Float, using generator: inout SeededGenerator) {
    convolution.initialize(store, using: &generator)
    projection.initializeNormal(store, standardDeviation: residualStandardDeviation, using: &generator)
  }

  /// The training forward pass; `dropoutStep` seeds the projection's adapter dropout (`nil`: none).
  func forward(
    _ input: MatrixView<Float>, batch: Int, sequenceLength: Int, into output: MutableMatrixView<Float>,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) throws(TrainingError) -> Record {
    let convolved = workspace.matrix(rows: input.rows, columns: convolution.channels)
    let record = try convolution.forward(
      input, batch: batch, sequenceLength: sequenceLength, into: convolved, parameters: parameters,
      workspace: workspace)
    let activated = workspace.matrix(rows: input.rows, columns: convolution.channels)
    activation.forward(convolved.readOnly, into: activated)
    projection.forward(
      activated.readOnly, into: output, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    return Record(convolved: convolved, convolution: record, activated: activated)
  }

  /// The backward pass of the forward pass with the same `dropoutStep`.
  func backward(
    input: MatrixView<Float>, record: Record, outputGradient: MatrixView<Float>, inputGradient: InputGradient,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) throws(TrainingError) {
    let gradient = workspace.matrix(rows: input.rows, columns: convolution.channels)
    projection.backward(
      input: record.activated.readOnly, outputGradient: outputGradient, inputGradient: .overwrite(gradient),
      parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    activation.backward(
      input: record.convolved.readOnly, outputGradient: gradient.readOnly, inputGradient: .overwrite(gradient))
    try convolution.backward(
      input: input, record: record.convolution, outputGradient: gradient.readOnly, inputGradient: inputGradient,
      parameters: parameters)
  }

  /// One decoding step: advances the recurrence by the input row and writes the mixer's output row.
  func step(
    _ input: MatrixView<Float>, recurrence: inout LongConvolution.Recurrence, into output: MutableMatrixView<Float>,
    parameters: ParameterStore, workspace: Workspace
  ) {
    let convolved = workspace.matrix(rows: 1, columns: convolution.channels)
    recurrence.step(input.row(0), into: convolved.row(0))
    activation.forward(convolved.readOnly, into: convolved)
    projection.forward(convolved.readOnly, into: output, parameters: parameters, workspace: workspace, dropoutStep: nil)
  }
}
