import TensorCore

/// A decoder-only language model: token embeddings (plus learned positions for a Transformer), pre-norm
/// ``LanguageModelConfiguration/layers`` blocks, a final LayerNorm and an output head tied to the embeddings.
///
/// With an attention mixer this is nanoGPT's GPT, parameter for parameter and name for name:
/// `transformer.wte.weight`, `transformer.wpe.weight`, `transformer.h.{i}.ln_1.{weight,bias}`,
/// `transformer.h.{i}.attn.c_attn.{weight,bias}`, `transformer.h.{i}.attn.c_proj`, `transformer.h.{i}.ln_2`,
/// `transformer.h.{i}.mlp.c_fc`, `transformer.h.{i}.mlp.c_proj`, `transformer.ln_f`, every linear weight
/// `out × in` as `nn.Linear` stores it. `lm_head.weight` is `transformer.wte.weight` itself (tied, as in
/// nanoGPT) and is not a separate slot. With a long-convolution mixer, `attn` is replaced by
/// `transformer.h.{i}.mixer` (the ``LongConvolution`` parameters, `log_dt`, `log_A_real`, `A_imag`, `C` or
/// `a`, `b`, and `D`) and `transformer.h.{i}.mixer.out_proj`, and there is no position table.
///
/// ```swift
/// let configuration = LanguageModelConfiguration.transformer(
///   vocabularySize: 256, contextLength: 64, width: 128, layers: 4, heads: 4)
/// let model = try LanguageModel(configuration)
/// var generator = SeededGenerator(seed: 0)
/// model.initialize(using: &generator)
/// let result = try model.loss(on: batch, pass: .training(step: 0, gradientScale: 1), workspace: workspace)
/// let text = try model.generate(prompt: [72, 105], tokens: 100, temperature: 0.8, topK: 40, using: &generator)
/// ```
///
/// Built with ``LoRAConfiguration``s (``init(_:adapters:)``), every targeted linear module (`c_attn`, `c_proj`,
/// `c_fc`, `out_proj`) becomes a ``LoRALinearLayer`` and only the adapters' factors train; the base slots keep
/// their names.
///
/// A step allocates nothing beyond its `Workspace` (the attention normalizers other than softmax and the
/// long convolution still take temporary arrays inside their layers).
public final class LanguageModel: AdaptableModel {
  /// The sizes and choices the model was built from.
  public let configuration: LanguageModelConfiguration
  /// Every parameter, under nanoGPT's names.
  public let parameters: ParameterStore
  /// The adapters the model was built with (none for a plain model).
  public let adapters: [LoRAConfiguration]
  /// Every linear module (`transformer.h.{i}.attn.c_attn`, `.attn.c_proj`, `.mlp.c_fc`, `.mlp.c_proj`, or
  /// `.mixer.out_proj`), in declaration order.
  public let linearModules: [NamedLinearLayer]
  let tokenEmbedding: Embedding
  let positionEmbedding: LearnedPositions?
  let blocks: [DecoderBlock]
  let finalNorm: LayerNorm
  let embeddingDropout: Dropout
  private let crossEntropy = CrossEntropy()

  /// Builds the model with every parameter zero; call ``initialize(using:)`` or load a checkpoint next.
  ///
  /// - Parameters:
  ///   - configuration: The sizes and choices of the base model.
  ///   - adapters: LoRA plans: each wraps the linear modules its targets match with an adapter, and with any
  ///     plan every parameter but the adapters' factors is frozen.
  /// - Throws: ``TrainingError`` naming the field of a configuration whose sizes do not fit (see
  ///   ``LanguageModelConfiguration/validate()``); a ``LoRAError`` naming the module for a rank outside
  ///   `1...min(in, out)`, or ``LoRAError/noTargetMatched(targets:candidates:)`` for targets that match no
  ///   linear module.
  public init(_ configuration: LanguageModelConfiguration, adapters: [LoRAConfiguration] = []) throws {
    try configuration.validate()
    self.configuration = configuration
    self.adapters = adapters
    var plan = try LoRAPlan(adapters)
    let (width, context) = (configuration.width, configuration.contextLength)
    var layout = ParameterLayout()
    tokenEmbedding = try Embedding(
      "transformer.wte", vocabularySize: configuration.vocabularySize, features: width, layout: &layout)
    if case .attention(_, _, .learned) = configuration.mixer {
      positionEmbedding = try LearnedPositions("transformer.wpe", maximumLength: context, features: width, layout: &layout)
    } else {
      positionEmbedding = nil
    }
    let activation = GELU(approximation: configuration.gelu)
    let hidden = configuration.feedForwardExpansion * width
    let dropout = configuration.dropout
    embeddingDropout = try Dropout(probability: dropout, seed: 0)
    var blocks: [DecoderBlock] = []
    for index in 0..<configuration.layers {
      let prefix = "transformer.h.\(index)"
      func name(_ suffix: String) -> String { ParameterLayout.qualified(prefix, suffix) }
      let epsilon = configuration.layerNormEpsilon
      let firstNorm = try LayerNorm(name("ln_1"), features: width, epsilon: epsilon, layout: &layout)
      let mixer: DecoderBlock.Mixer
      switch configuration.mixer {
      case .attention(let heads, let normalizer, let positions):
        mixer = .attention(
          try AttentionMixer(
            name("attn"), width: width, heads: heads, normalizer: normalizer, positions: positions,
            contextLength: context, dropout: try Dropout(probability: dropout, seed: UInt64(3 * index + 3)),
            plan: &plan, layout: &layout))
      case .longConvolution(let kernel):
        mixer = .convolution(
          try ConvolutionMixer(
            name("mixer"), width: width, kernel: kernel, contextLength: context, activation: activation,
            plan: &plan, layout: &layout))
      }
      let secondNorm = try LayerNorm(name("ln_2"), features: width, epsilon: epsilon, layout: &layout)
      let kind = configuration.feedForwardLayers
      func linear(_ suffix: String, _ inputs: Int, _ outputs: Int) throws -> any LinearLayer {
        try plan.wrap(
          name(suffix), try kind.makeLayer(name(suffix), inputFeatures: inputs, outputFeatures: outputs, layout: &layout),
          layout: &layout)
      }
      let feedForward = FeedForward(
        expansion: try linear("mlp.c_fc", width, hidden), activation: activation,
        projection: try linear("mlp.c_proj", hidden, width))
      blocks.append(
        DecoderBlock(
          firstNorm: firstNorm, mixer: mixer, secondNorm: secondNorm, feedForward: feedForward,
          mixerDropout: try Dropout(probability: dropout, seed: UInt64(3 * index + 1)),
          feedForwardDropout: try Dropout(probability: dropout, seed: UInt64(3 * index + 2))))
    }
    self.blocks = blocks
    finalNorm = try LayerNorm(
      "transformer.ln_f", features: width, epsilon: configuration.layerNormEpsilon, layout: &layout)
    try plan.requireEveryTargetMatched()
    linearModules = plan.modules
    parameters = try ParameterStore(layout: layout)
    plan.freezeBase(parameters)
  }

  /// The same configuration built with `adapters` instead, every parameter zero.
  ///
  /// - Throws: What ``init(_:adapters:)`` throws for `adapters`.
  public func adapted(with adapters: [LoRAConfiguration]) throws -> LanguageModel {
    try LanguageModel(configuration, adapters: adapters)
  }

  /// GPT-2's initialization (nanoGPT's `_init_weights`): embeddings and linear weights normal(0, 0.02), the
  /// residual projections (`c_proj`, `out_proj`) normal(0, 0.02/√(2·layers)), biases 0, norms 1; a long
  /// convolution takes its kernel's reference initialization. Adapters start at PEFT's default (`B = 0`) from
  /// their own seeds, so the base parameters are those of the model without adapters.
  public func initialize(using generator: inout SeededGenerator) {
    let standardDeviation: Float = 0.02
    let residual = standardDeviation / Float(2 * configuration.layers).squareRoot()
    parameters.fillNormal(tokenEmbedding.weight, standardDeviation: standardDeviation, using: &generator)
    if let positionEmbedding {
      parameters.fillNormal(positionEmbedding.weight, standardDeviation: standardDeviation, using: &generator)
    }
    for block in blocks {
      block.firstNorm.initialize(parameters)
      switch block.mixer {
      case .attention(let attention):
        attention.initialize(
          parameters, standardDeviation: standardDeviation, residualStandardDeviation: residual, using: &generator)
      case .convolution(let convolution):
        convolution.initialize(parameters, residualStandardDeviation: residual, using: &generator)
      }
      block.secondNorm.initialize(parameters)
      block.feedForward.expansion.initializeNormal(parameters, standardDeviation: standardDeviation, using: &generator)
      block.feedForward.projection.initializeNormal(parameters, standardDeviation: residual, using: &generator)
    }
    finalNorm.initialize(parameters)
  }

  /// Next-token cross-entropy over a batch of token sequences; a training pass also accumulates
  /// `gradientScale · ∂loss/∂θ` into ``parameters``' gradients.
  ///
  /// - Parameters:
  ///   - batch: ``Batch/Inputs/tokens(_:sequences:)`` of at most ``LanguageModelConfiguration/contextLength``
  ///     tokens each, and one target per token (the next token, or the ignore index −100).
  ///   - pass: Evaluation, or training (dropout, the model's and the adapters', seeded by the step).
  ///   - workspace: Scratch for the activations; reset by the caller between passes.
  /// - Throws: ``TrainingError/batchDoesNotFit(layer:reason:)`` for features or sizes that do not fit,
  ///   ``TrainingError/sequenceTooLong(layer:length:maximum:)``,
  ///   ``TrainingError/tokenOutOfRange(layer:position:token:vocabularySize:)`` for an input or target outside
  ///   the vocabulary, or a layer's error.
  public func loss(on batch: Batch, pass: Pass, workspace: Workspace) throws -> BatchLoss {
    guard case .tokens(let tokens, let sequences) = batch.inputs else {
      throw TrainingError.batchDoesNotFit(layer: "LanguageModel", reason: "a language model reads tokens, not features")
    }
    let sequenceLength = try checkedSequenceLength(tokenCount: tokens.count, sequences: sequences)
    guard batch.targets.count == tokens.count else {
      throw TrainingError.batchDoesNotFit(
        layer: "LanguageModel", reason: "\(batch.targets.count) targets for \(tokens.count) tokens")
    }
    let (dropoutStep, gradientScale): (Int?, Float?)
    switch pass {
    case .evaluation: (dropoutStep, gradientScale) = (nil, nil)
    case .training(let step, let scale): (dropoutStep, gradientScale) = (step, scale)
    }
    return try tokens.withUnsafeBufferPointer { tokens in
      try batch.targets.withUnsafeBufferPointer { targets in
        let forward = try forward(
          tokens, sequences: sequences, sequenceLength: sequenceLength, dropoutStep: dropoutStep, workspace: workspace)
        let logits = forward.logits
        var correct = 0
        for row in 0..<logits.rows where targets[row] != crossEntropy.ignoreIndex {
          if argmax(logits.row(row), logits.columns) == Int(targets[row]) { correct += 1 }
        }
        let result = try crossEntropy.evaluate(
          logits: logits.readOnly, targets: targets, logitsGradient: gradientScale == nil ? nil : logits,
          gradientScale: gradientScale ?? 1, workspace: workspace)
        if gradientScale != nil {
          try backward(forward, tokens: tokens, sequenceLength: sequenceLength, dropoutStep: dropoutStep, workspace: workspace)
        }
        return BatchLoss(loss: result.loss, countedTargets: result.countedTokens, correctPredictions: correct)
      }
    }
  }

  /// The logits of every position of `sequences` sequences of equal length, one after another (an
  /// evaluation forward pass).
  ///
  /// - Returns: `tokens.count × vocabularySize`; row `i` scores the token after `tokens[i]`.
  /// - Throws: As ``loss(on:pass:workspace:)``.
  public func logits(for tokens: [Int32], sequences: Int = 1) throws -> Tensor<Float> {
    let sequenceLength = try checkedSequenceLength(tokenCount: tokens.count, sequences: sequences)
    // The views point into the workspace, so it must outlive the copy out of them.
    let workspace = Workspace()
    return try withExtendedLifetime(workspace) {
      try tokens.withUnsafeBufferPointer { tokens in
      let logits = try forward(
        tokens, sequences: sequences, sequenceLength: sequenceLength, dropoutStep: nil, workspace: workspace
      ).logits
      return Tensor(shape: [logits.rows, logits.columns], scalars: Array(UnsafeBufferPointer(start: logits.base, count: logits.rows * logits.columns)))
      }
    }
  }

  private func checkedSequenceLength(tokenCount: Int, sequences: Int) throws(TrainingError) -> Int {
    guard sequences > 0, tokenCount > 0, tokenCount % sequences == 0 else {
      throw .batchDoesNotFit(
        layer: "LanguageModel", reason: "\(tokenCount) tokens are not \(sequences) non-empty sequences of one length")
    }
    let length = tokenCount / sequences
    guard length <= configuration.contextLength else {
      throw .sequenceTooLong(layer: "LanguageModel", length: length, maximum: configuration.contextLength)
    }
    return length
  }

  /// What the forward pass keeps for the backward pass, in the workspace.
  private struct Forward {
    let embedded: MutableMatrixView<Float>
    let blocks: UnsafeMutablePointer<DecoderBlock.Activations>
    let finalStatistics: LayerNorm.Statistics
    let finalNormalized: MutableMatrixView<Float>
    let logits: MutableMatrixView<Float>
    /// The last block's output (the embeddings when there is no block).
    let stream: MatrixView<Float>
  }

  private func forward(
    _ tokens: UnsafeBufferPointer<Int32>, sequences: Int, sequenceLength: Int, dropoutStep: Int?,
    workspace: Workspace
  ) throws(TrainingError) -> Forward {
    let (rows, width) = (tokens.count, configuration.width)
    let embedded = workspace.matrix(rows: rows, columns: width)
    try tokenEmbedding.forward(tokens, into: embedded, parameters: parameters)
    try positionEmbedding?.add(to: embedded, sequenceLength: sequenceLength, parameters: parameters)
    if let step = dropoutStep, embeddingDropout.probability > 0 {
      embeddingDropout.forward(embedded.readOnly, into: embedded, step: step)
    }
    let activations = workspace.allocate(DecoderBlock.Activations.self, count: blocks.count)
    var stream = embedded.readOnly
    for (index, block) in blocks.enumerated() {
      let result = try block.forward(
        stream, batch: sequences, sequenceLength: sequenceLength, dropoutStep: dropoutStep, parameters: parameters,
        workspace: workspace)
      (activations + index).initialize(to: result)
      stream = result.output.readOnly
    }
    let finalNormalized = workspace.matrix(rows: rows, columns: width)
    let statistics = finalNorm.forward(stream, into: finalNormalized, parameters: parameters, workspace: workspace)
    let logits = workspace.matrix(rows: rows, columns: configuration.vocabularySize)
    tokenEmbedding.outputLogits(finalNormalized.readOnly, into: logits, parameters: parameters)
    return Forward(
      embedded: embedded, blocks: activations, finalStatistics: statistics, finalNormalized: finalNormalized,
      logits: logits, stream: stream)
  }

  /// The backward pass from the logits' gradient (which the loss wrote over the logits).
  private func backward(
    _ forward: Forward, tokens: UnsafeBufferPointer<Int32>, sequenceLength: Int, dropoutStep: Int?,
    workspace: Workspace
  ) throws(TrainingError) {
    let (rows, width) = (tokens.count, configuration.width)
    let normalizedGradient = workspace.matrix(rows: rows, columns: width)
    tokenEmbedding.outputLogitsBackward(
      hidden: forward.finalNormalized.readOnly, logitsGradient: forward.logits.readOnly,
      hiddenGradient: .overwrite(normalizedGradient), parameters: parameters)
    let streamGradient = workspace.matrix(rows: rows, columns: width)
    finalNorm.backward(
      input: forward.stream, statistics: forward.finalStatistics, outputGradient: normalizedGradient.readOnly,
      inputGradient: .overwrite(streamGradient), parameters: parameters)
    for index in blocks.indices.reversed() {
      try blocks[index].backward(
        forward.blocks[index], streamGradient: streamGradient, dropoutStep: dropoutStep, parameters: parameters,
        workspace: workspace)
    }
    if let step = dropoutStep, embeddingDropout.probability > 0 {
      // In place: each element reads its own gradient before overwriting it.
      embeddingDropout.backward(
        outputGradient: streamGradient.readOnly, inputGradient: .overwrite(streamGradient), step: step)
    }
    try positionEmbedding?.backward(outputGradient: streamGradient.readOnly, sequenceLength: sequenceLength, parameters: parameters)
    tokenEmbedding.backward(tokens, outputGradient: streamGradient.readOnly, parameters: parameters)
  }
}

/// The index of the largest of `count` values (the first on ties).
func argmax(_ values: UnsafePointer<Float>, _ count: Int) -> Int {
  var best = 0
  for j in 1..<max(count, 1) where values[j] > values[best] { best = j }
  return best
}
