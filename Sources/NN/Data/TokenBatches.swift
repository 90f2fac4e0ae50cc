import TensorCore

/// Batches of next-token windows from a ``TokenDataset``: `sequences` windows of `sequenceLength` tokens
/// each, targets shifted by one.
///
/// A training batch is a pure function of the seed and the step (windows at uniform random offsets from a
/// generator seeded by both), so a resumed run draws the same batches without saving generator state. The
/// evaluation batches are the held-out split cut into consecutive windows, the same every time.
public struct TokenBatches: Sendable {
  /// The tokens.
  public let dataset: TokenDataset
  /// The windows per batch.
  public let sequences: Int
  /// The tokens per window.
  public let sequenceLength: Int
  /// The seed of the training windows.
  public let seed: UInt64

  /// Checks that each split holds at least one window.
  ///
  /// - Throws: ``DataError/invalidSetting(name:value:)``, or ``DataError/tooShort(source:split:tokens:needed:)``
  ///   when a split has no more than `sequenceLength` tokens.
  public init(dataset: TokenDataset, sequences: Int, sequenceLength: Int, seed: UInt64) throws(DataError) {
    try self.init(dataset, sequences: sequences, sequenceLength: sequenceLength, seed: seed, splits: [
      ("training", dataset.training), ("held-out", dataset.heldOut),
    ])
  }

  /// Batches for evaluating on `dataset`'s held-out tokens only (its training split may be empty; there are
  /// no training batches).
  ///
  /// - Throws: As ``init(dataset:sequences:sequenceLength:seed:)``, for the held-out split alone.
  public init(evaluating dataset: TokenDataset, sequences: Int, sequenceLength: Int) throws(DataError) {
    try self.init(dataset, sequences: sequences, sequenceLength: sequenceLength, seed: 0, splits: [("held-out", dataset.heldOut)])
  }

  private init(
    _ dataset: TokenDataset, sequences: Int, sequenceLength: Int, seed: UInt64, splits: [(String, [Int32])]
  ) throws(DataError) {
    guard sequences > 0 else { throw .invalidSetting(name: "sequences", value: Double(sequences)) }
    guard sequenceLength > 0 else { throw .invalidSetting(name: "sequenceLength", value: Double(sequenceLength)) }
    for (split, tokens) in splits where tokens.count <= sequenceLength {
      throw .tooShort(source: dataset.source, split: split, tokens: tokens.count, needed: sequenceLength + 1)
    }
    self.dataset = dataset
    self.sequences = sequences
    self.sequenceLength = sequenceLength
    self.seed = seed
  }

  /// The training batch of `step`.
  ///
  /// - Complexity: O(sequences·sequenceLength).
  public func trainingBatch(step: Int) -> Batch {
    precondition(dataset.training.count > sequenceLength, "TokenBatches: no training windows (evaluation-only batches)")
    var generator = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15))
    let starts = (0..<sequences).map { _ in
      Int(generator.nextUnit() * Double(dataset.training.count - sequenceLength))
    }
    return batch(dataset.training, starts: starts)
  }

  /// The held-out split as consecutive windows, `sequences` per batch (the last batch may hold fewer), at
  /// most `maximumBatches` batches.
  public func evaluationBatches(maximumBatches: Int = .max) -> [Batch] {
    let windows = (dataset.heldOut.count - 1) / sequenceLength
    let starts = (0..<windows).map { $0 * sequenceLength }
    return stride(from: 0, to: starts.count, by: sequences).prefix(maximumBatches).map {
      batch(dataset.heldOut, starts: Array(starts[$0..<min($0 + sequences, starts.count)]))
    }
  }

  /// The best expected loss of a batch, when the data knows it.
  public var bestPossibleLoss: Double? { dataset.bestPossibleLoss(sequenceLength: sequenceLength) }

  private func batch(_ tokens: [Int32], starts: [Int]) -> Batch {
    var inputs: [Int32] = []
    var targets: [Int32] = []
    inputs.reserveCapacity(starts.count * sequenceLength)
    targets.reserveCapacity(starts.count * sequenceLength)
    for start in starts {
      inputs += tokens[start..<start + sequenceLength]
      targets += tokens[start + 1...start + sequenceLength]
    }
    return Batch(inputs: .tokens(inputs, sequences: starts.count), targets: targets)
  }
}
