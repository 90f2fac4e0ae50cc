import TensorCore

/// Runs a ``LanguageModel`` one token at a time: a key/value cache per block for attention, the recurrent
/// state of each long convolution for a state-space LM.
///
/// After appending the tokens `x₀ … x_p`, ``append(_:)`` has returned, for each, the same logits as row `p`
/// of ``LanguageModel/logits(for:sequences:)`` on `x₀ … x_p`, computed in O(p·width) for attention and O(1)
/// in `p` for a long convolution. The decoder reads the model's parameters as they are when it is made;
/// make a new decoder after training further.
public final class LanguageModelDecoder {
  /// The model decoded.
  public let model: LanguageModel
  /// The number of tokens appended since the decoder was made or reset.
  public private(set) var position = 0
  private let workspace = Workspace()
  /// Keys then values, `contextLength × width` each, per attention block.
  private let caches: [UnsafeMutablePointer<Float>]
  private var recurrences: [LongConvolution.Recurrence]

  /// Prepares the caches (or recurrences) of every block.
  ///
  /// - Throws: ``TrainingError`` when a long convolution's parameters do not form a recurrence.
  public init(_ model: LanguageModel) throws(TrainingError) {
    self.model = model
    let size = 2 * model.configuration.contextLength * model.configuration.width
    var caches: [UnsafeMutablePointer<Float>] = []
    var recurrences: [LongConvolution.Recurrence] = []
    for block in model.blocks {
      switch block.mixer {
      case .attention:
        caches.append(UnsafeMutablePointer<Float>.allocate(capacity: size))
      case .convolution(let mixer):
        recurrences.append(try mixer.convolution.recurrence(parameters: model.parameters))
      }
    }
    self.caches = caches
    self.recurrences = recurrences
  }

  deinit { for cache in caches { cache.deallocate() } }

  /// How many more tokens fit: the context for attention (the cache is full after `contextLength` tokens),
  /// unlimited for a long convolution (its recurrence runs on).
  public var remainingCapacity: Int {
    caches.isEmpty ? Int.max : model.configuration.contextLength - position
  }

  /// Forgets every token appended, as at the start of a sequence.
  public func reset() {
    position = 0
    for index in recurrences.indices { recurrences[index].reset() }
  }

  /// Appends one token and returns the logits of the next.
  ///
  /// - Returns: ``LanguageModelConfiguration/vocabularySize`` logits.
  /// - Throws: ``TrainingError/tokenOutOfRange(layer:position:token:vocabularySize:)``;
  ///   ``TrainingError/sequenceTooLong(layer:length:maximum:)`` when an attention cache is full
  ///   (``remainingCapacity`` is 0).
  /// - Complexity: O(position·width + layers·width²) with attention, O(layers·(width² + width·N)) with a long
  ///   convolution.
  public func append(_ token: Int32) throws(TrainingError) -> [Float] {
    guard remainingCapacity > 0 else {
      throw .sequenceTooLong(layer: "LanguageModelDecoder", length: position + 1, maximum: model.configuration.contextLength)
    }
    workspace.reset()
    let (width, context, parameters) = (model.configuration.width, model.configuration.contextLength, model.parameters)
    let stream = workspace.matrix(rows: 1, columns: width)
    try withUnsafePointer(to: token) { (pointer) throws(TrainingError) in
      try model.tokenEmbedding.forward(UnsafeBufferPointer(start: pointer, count: 1), into: stream, parameters: parameters)
    }
    if let positions = model.positionEmbedding {
      axpy(count: width, alpha: 1, parameters.valueMatrix(positions.weight).readOnly.row(position), stream.row(0))
    }
    var input = stream.readOnly
    var (cacheIndex, recurrenceIndex) = (0, 0)
    for block in model.blocks {
      let position = position
      let activations = try block.forward(input, dropoutStep: nil, parameters: parameters, workspace: workspace) {
        (normalized, branch) throws(TrainingError) in
        switch block.mixer {
        case .attention(let attention):
          let cache = caches[cacheIndex]
          try attention.step(
            normalized, position: position, keys: MutableMatrixView(cache, rows: context, columns: width),
            values: MutableMatrixView(cache + context * width, rows: context, columns: width), into: branch,
            parameters: parameters, workspace: workspace)
          cacheIndex += 1
        case .convolution(let convolution):
          convolution.step(
            normalized, recurrence: &recurrences[recurrenceIndex], into: branch, parameters: parameters,
            workspace: workspace)
          recurrenceIndex += 1
        }
        return nil
      }
      input = activations.output.readOnly
    }
    let normalized = workspace.matrix(rows: 1, columns: width)
    _ = model.finalNorm.forward(input, into: normalized, parameters: parameters, workspace: workspace)
    let logits = workspace.matrix(rows: 1, columns: model.configuration.vocabularySize)
    model.tokenEmbedding.outputLogits(normalized.readOnly, into: logits, parameters: parameters)
    position += 1
    return Array(UnsafeBufferPointer(start: logits.base, count: logits.columns))
  }
}
