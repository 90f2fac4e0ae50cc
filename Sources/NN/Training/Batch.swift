import TensorCore

/// One batch of examples for a ``TrainableModel``: the inputs and one target per output row.
public struct Batch: Sendable {
  /// What the model reads.
  public enum Inputs: Sendable {
    /// `sequences` sequences of token ids of equal length, one after another (language models).
    case tokens([Int32], sequences: Int)
    /// One feature row per example, `examples × features` (classifiers).
    case features(Tensor<Float>)
  }

  /// What the model reads.
  public var inputs: Inputs
  /// One target per output row (the next token of each position, or each example's class), or the loss's
  /// ignore index for a row that does not count.
  public var targets: [Int32]

  /// Bundles inputs and targets.
  public init(inputs: Inputs, targets: [Int32]) {
    self.inputs = inputs
    self.targets = targets
  }
}

/// What one pass over a ``Batch`` measured.
public struct BatchLoss: Sendable, Equatable {
  /// The mean cross-entropy over counted targets, in nats.
  public var loss: Double
  /// The number of targets that count (not the ignore index).
  public var countedTargets: Int
  /// How many counted targets the model's most likely output matches.
  public var correctPredictions: Int

  /// Bundles the figures of one pass.
  public init(loss: Double, countedTargets: Int, correctPredictions: Int) {
    self.loss = loss
    self.countedTargets = countedTargets
    self.correctPredictions = correctPredictions
  }
}

/// How a ``TrainableModel`` runs over a batch.
public enum Pass: Sendable, Equatable {
  /// Forward pass and loss only; dropout is off.
  case evaluation
  /// Forward, loss and backward: adds `gradientScale · ∂loss/∂θ` into the store's gradients (`1/k` when `k`
  /// micro-batches accumulate into one update). `step` seeds dropout, so a resumed run draws the same masks.
  case training(step: Int, gradientScale: Float)
}
