/// The batches of a run: training batches addressed by their index in the run, and a fixed held-out split.
///
/// The training batch of micro-batch `index` (counted from 0 over the whole run, `step · accumulation + i`)
/// depends only on the data, its seed and `index`, so a run resumed at any step draws exactly the batches an
/// uninterrupted run would have drawn; the provider's state is its seed.
public protocol BatchProvider {
  /// The training batch of micro-batch `index`.
  mutating func trainingBatch(at index: Int) -> Batch
  /// The held-out batches, the same on every call.
  var evaluationBatches: [Batch] { get }
  /// The expected loss of the best possible model on the held-out batches, when the data's source knows it.
  var bestPossibleLoss: Double? { get }
  /// The number of examples (or tokens) one training batch holds, for throughput figures.
  var examplesPerBatch: Int { get }
}
