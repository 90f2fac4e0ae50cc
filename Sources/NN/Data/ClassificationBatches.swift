import TensorCore

/// Batches of a ``ClassificationDataset``: a seeded held-out split, and training batches drawn from the rest
/// in a fresh seeded shuffle each epoch.
public struct ClassificationBatches: BatchProvider {
  /// The examples.
  public let dataset: ClassificationDataset
  /// The examples per training batch.
  public let batchSize: Int
  /// The indices of the training examples.
  public let trainingIndices: [Int]
  /// The indices of the held-out examples.
  public let heldOutIndices: [Int]
  public let evaluationBatches: [Batch]
  public let bestPossibleLoss: Double?
  private let seed: UInt64
  private var shuffledEpoch = -1
  private var shuffled: [Int] = []

  /// Splits the examples and prepares the held-out batches.
  ///
  /// - Parameters:
  ///   - dataset: The examples.
  ///   - batchSize: The examples per training (and held-out) batch.
  ///   - heldOutFraction: The share of examples held out, in `[0, 1)` (at least one example when positive).
  ///   - seed: The seed of the split and of every epoch's shuffle.
  ///   - teacher: The task that drew `dataset`, if built in: it gives ``bestPossibleLoss``.
  /// - Throws: ``DataError/invalidSetting(name:value:)`` for a fraction outside `[0, 1)` or a batch size below 1,
  ///   ``DataError/tooFewExamples(file:available:needed:)`` when the training split is smaller than one batch.
  public init(
    dataset: ClassificationDataset, batchSize: Int, heldOutFraction: Double, seed: UInt64,
    teacher: TeacherClassificationTask? = nil
  ) throws(DataError) {
    guard batchSize >= 1 else { throw .invalidSetting(name: "batch size", value: Double(batchSize)) }
    guard heldOutFraction >= 0, heldOutFraction < 1 else {
      throw .invalidSetting(name: "held-out fraction", value: heldOutFraction)
    }
    var generator = SeededGenerator(seed: seed)
    let order = Self.permutation(dataset.count, using: &generator)
    let heldOut = heldOutFraction == 0 ? 0 : max(1, Int((heldOutFraction * Double(dataset.count)).rounded()))
    let heldOutIndices = Array(order[..<min(heldOut, dataset.count)])
    let trainingIndices = Array(order[min(heldOut, dataset.count)...])
    guard trainingIndices.count >= batchSize else {
      throw .tooFewExamples(file: dataset.source, available: trainingIndices.count, needed: batchSize)
    }
    self.dataset = dataset
    self.batchSize = batchSize
    self.seed = seed
    self.heldOutIndices = heldOutIndices
    self.trainingIndices = trainingIndices
    evaluationBatches = Self.batches(dataset, heldOutIndices, batchSize: batchSize)
    bestPossibleLoss = heldOutIndices.isEmpty ? nil : teacher?.bestPossibleLoss(on: dataset, indices: heldOutIndices)
  }

  /// Holds every example of `dataset` out, for evaluating a trained model on other data (there are no
  /// training batches).
  ///
  /// - Throws: ``DataError/invalidSetting(name:value:)`` for a batch size below 1.
  public init(evaluating dataset: ClassificationDataset, batchSize: Int) throws(DataError) {
    guard batchSize >= 1 else { throw .invalidSetting(name: "batch size", value: Double(batchSize)) }
    self.dataset = dataset
    self.batchSize = batchSize
    seed = 0
    trainingIndices = []
    heldOutIndices = Array(0..<dataset.count)
    evaluationBatches = Self.batches(dataset, heldOutIndices, batchSize: batchSize)
    bestPossibleLoss = nil
  }

  public var examplesPerBatch: Int { batchSize }

  /// The batch of micro-batch `index`: positions `index·B ..< (index + 1)·B` of the stream of epochs, each
  /// epoch the training examples in the order of a `SeededGenerator` seeded by the seed mixed with the epoch.
  public mutating func trainingBatch(at index: Int) -> Batch {
    let n = trainingIndices.count
    precondition(n > 0, "ClassificationBatches: no training examples (built for evaluation only)")
    var chosen: [Int] = []
    chosen.reserveCapacity(batchSize)
    for position in (index * batchSize)..<((index + 1) * batchSize) {
      let epoch = position / n
      if epoch != shuffledEpoch {
        var generator = SeededGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        shuffled = Self.permutation(n, using: &generator).map { trainingIndices[$0] }
        shuffledEpoch = epoch
      }
      chosen.append(shuffled[position % n])
    }
    return Self.batch(dataset, chosen)
  }

  /// A Fisher–Yates permutation of `0..<count`.
  private static func permutation(_ count: Int, using generator: inout SeededGenerator) -> [Int] {
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
    }
    return order
  }

  private static func batches(_ dataset: ClassificationDataset, _ indices: [Int], batchSize: Int) -> [Batch] {
    stride(from: 0, to: indices.count, by: batchSize).map { start in
      batch(dataset, Array(indices[start..<min(start + batchSize, indices.count)]))
    }
  }

  private static func batch(_ dataset: ClassificationDataset, _ indices: [Int]) -> Batch {
    let width = dataset.featureCount
    var scalars: [Float] = []
    scalars.reserveCapacity(indices.count * width)
    for e in indices { scalars += dataset.features.scalars[(e * width)..<((e + 1) * width)] }
    return Batch(
      inputs: .features(Tensor(shape: [indices.count, width], scalars: scalars)), targets: indices.map { dataset.labels[$0] })
  }
}
