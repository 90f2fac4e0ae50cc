/// The ``BatchProvider`` of a language-model run: ``TokenBatches``' training windows by micro-batch index,
/// and its held-out windows computed once.
///
/// A batch holds ``TokenBatches/sequences`` windows of ``TokenBatches/sequenceLength`` tokens, so
/// ``examplesPerBatch`` counts tokens (the trainer's throughput is tokens per second).
public struct LanguageModelBatches: BatchProvider, Sendable {
  /// The windows.
  public let tokens: TokenBatches
  /// The held-out windows, at most ``maximumEvaluationBatches`` batches.
  public let evaluationBatches: [Batch]

  /// The most held-out batches an evaluation runs (a long text's held-out tail is cut there).
  public static let maximumEvaluationBatches = 64

  /// Wraps `tokens` and cuts its held-out split into batches.
  public init(_ tokens: TokenBatches) {
    self.tokens = tokens
    evaluationBatches = tokens.evaluationBatches(maximumBatches: Self.maximumEvaluationBatches)
  }

  /// ``TokenBatches/trainingBatch(step:)`` of micro-batch `index`.
  public mutating func trainingBatch(at index: Int) -> Batch { tokens.trainingBatch(step: index) }

  /// The best expected loss of a window, for data from a chain.
  public var bestPossibleLoss: Double? { tokens.bestPossibleLoss }

  /// Tokens per training batch.
  public var examplesPerBatch: Int { tokens.sequences * tokens.sequenceLength }
}
