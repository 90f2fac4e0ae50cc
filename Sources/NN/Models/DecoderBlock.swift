import TensorCore

/// One pre-norm block of a ``LanguageModel``: `x + drop(mixer(ln_1(x)))`, then `+ drop(mlp(ln_2(·)))`.
struct DecoderBlock: Sendable {
  /// The block's sequence mixer.
  enum Mixer: Sendable {
    case attention(AttentionMixer)
    case convolution(ConvolutionMixer)
  }

  /// What the mixer's forward pass kept.
  enum MixerRecord {
    case attention(AttentionMixer.Record)
    case convolution(ConvolutionMixer.Record)
  }

  /// What ``forward(_:batch:sequenceLength:dropoutStep:parameters:workspace:mix:)`` keeps for the backward
  /// pass; every view points into the step's workspace. A plain value of pointers and sizes, so a model keeps
  /// one per block in the workspace too.
  struct Activations {
    let input: MatrixView<Float>
    let firstNormalized: MutableMatrixView<Float>
    let firstStatistics: LayerNorm.Statistics
    let mixer: MixerRecord?
    let middle: MutableMatrixView<Float>
    let secondNormalized: MutableMatrixView<Float>
    let secondStatistics: LayerNorm.Statistics
    let feedForward: FeedForward.Record
    let output: MutableMatrixView<Float>
  }

  let firstNorm: LayerNorm
  let mixer: Mixer
  let secondNorm: LayerNorm
  let feedForward: FeedForward
  let mixerDropout: Dropout
  let feedForwardDropout: Dropout

  /// Runs the block; `mix` runs the mixer from the normalized input into the branch (the training pass's
  /// ``Mixer`` forward, or a decoding step that returns no record). Dropout runs when `dropoutStep` is given:
  /// the block's own where its probability is positive, the adapters' where theirs is.
  func forward(
    _ input: MatrixView<Float>, dropoutStep: Int?, parameters: ParameterStore, workspace: Workspace,
    mix: (MatrixView<Float>, MutableMatrixView<Float>) throws(TrainingError) -> MixerRecord?
  ) throws(TrainingError) -> Activations {
    let (rows, width) = (input.rows, input.columns)
    let firstNormalized = workspace.matrix(rows: rows, columns: width)
    let firstStatistics = firstNorm.forward(input, into: firstNormalized, parameters: parameters, workspace: workspace)
    let branch = workspace.matrix(rows: rows, columns: width)
    let record = try mix(firstNormalized.readOnly, branch)
    if let step = dropoutStep, mixerDropout.probability > 0 { mixerDropout.forward(branch.readOnly, into: branch, step: step) }
    let middle = workspace.matrix(rows: rows, columns: width)
    Residual.forward(input, branch.readOnly, into: middle)
    let secondNormalized = workspace.matrix(rows: rows, columns: width)
    let secondStatistics = secondNorm.forward(
      middle.readOnly, into: secondNormalized, parameters: parameters, workspace: workspace)
    let feedForwardRecord = feedForward.forward(
      secondNormalized.readOnly, into: branch, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    if let step = dropoutStep, feedForwardDropout.probability > 0 {
      feedForwardDropout.forward(branch.readOnly, into: branch, step: step)
    }
    let output = workspace.matrix(rows: rows, columns: width)
    Residual.forward(middle.readOnly, branch.readOnly, into: output)
    return Activations(
      input: input, firstNormalized: firstNormalized, firstStatistics: firstStatistics, mixer: record,
      middle: middle, secondNormalized: secondNormalized, secondStatistics: secondStatistics,
      feedForward: feedForwardRecord, output: output)
  }

  /// The training forward pass over `batch` sequences of `sequenceLength` rows.
  func forward(
    _ input: MatrixView<Float>, batch: Int, sequenceLength: Int, dropoutStep: Int?, parameters: ParameterStore,
    workspace: Workspace
  ) throws(TrainingError) -> Activations {
    try forward(input, dropoutStep: dropoutStep, parameters: parameters, workspace: workspace) {
      (normalized, branch) throws(TrainingError) in
      switch mixer {
      case .attention(let attention):
        return .attention(
          try attention.forward(
            normalized, batch: batch, sequenceLength: sequenceLength, into: branch, parameters: parameters,
            workspace: workspace, dropoutStep: dropoutStep))
      case .convolution(let convolution):
        return .convolution(
          try convolution.forward(
            normalized, batch: batch, sequenceLength: sequenceLength, into: branch, parameters: parameters,
            workspace: workspace, dropoutStep: dropoutStep))
      }
    }
  }

  /// The backward pass: `streamGradient` holds the gradient of the block's output on entry and that of its
  /// input on return; parameter gradients accumulate into the store.
  func backward(
    _ activations: Activations, streamGradient: MutableMatrixView<Float>, dropoutStep: Int?,
    parameters: ParameterStore, workspace: Workspace
  ) throws(TrainingError) {
    let (rows, width) = (streamGradient.rows, streamGradient.columns)
    let branchGradient = workspace.matrix(rows: rows, columns: width)
    let normalizedGradient = workspace.matrix(rows: rows, columns: width)
    /// The gradient of a residual branch's output, through its dropout.
    func throughDropout(_ dropout: Dropout) -> MatrixView<Float> {
      guard let step = dropoutStep, dropout.probability > 0 else { return streamGradient.readOnly }
      dropout.backward(outputGradient: streamGradient.readOnly, inputGradient: .overwrite(branchGradient), step: step)
      return branchGradient.readOnly
    }
    feedForward.backward(
      input: activations.secondNormalized.readOnly, record: activations.feedForward,
      outputGradient: throughDropout(feedForwardDropout), inputGradient: .overwrite(normalizedGradient),
      parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    secondNorm.backward(
      input: activations.middle.readOnly, statistics: activations.secondStatistics,
      outputGradient: normalizedGradient.readOnly, inputGradient: .accumulate(streamGradient), parameters: parameters)
    let mixerGradient = throughDropout(mixerDropout)
    let normalized = activations.firstNormalized.readOnly
    switch (mixer, activations.mixer) {
    case (.attention(let attention), .attention(let record)?):
      try attention.backward(
        input: normalized, record: record, outputGradient: mixerGradient,
        inputGradient: .overwrite(normalizedGradient), parameters: parameters, workspace: workspace,
        dropoutStep: dropoutStep)
    case (.convolution(let convolution), .convolution(let record)?):
      try convolution.backward(
        input: normalized, record: record, outputGradient: mixerGradient,
        inputGradient: .overwrite(normalizedGradient), parameters: parameters, workspace: workspace,
        dropoutStep: dropoutStep)
    default:
      preconditionFailure("DecoderBlock.backward: the activations hold no record of this block's mixer")
    }
    firstNorm.backward(
      input: activations.input, statistics: activations.firstStatistics, outputGradient: normalizedGradient.readOnly,
      inputGradient: .accumulate(streamGradient), parameters: parameters)
  }
}
