/// How a run trains, whatever the model: steps, batches, optimizer, schedule, clipping, evaluation and
/// checkpoints. The `training` entry of a run's `config.json`.
///
/// JSON keys are snake_case; every key may be left out for its default.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
  /// The optimizer that updates the parameters.
  public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// ``AdamW`` with ``TrainingConfiguration/beta1`` and ``TrainingConfiguration/beta2``.
    case adamw
    /// ``SGD`` with ``TrainingConfiguration/momentum``.
    case sgd
  }

  /// The number of optimizer steps of the whole run.
  public var steps = 200
  /// The examples (or sequences) of one micro-batch.
  public var batchSize = 64
  /// The micro-batches whose gradients accumulate into one step.
  public var accumulationSteps = 1
  /// The optimizer.
  public var optimizer = OptimizerKind.adamw
  /// The peak learning rate.
  public var learningRate: Float = 3e-3
  /// The weight decay of the decayed group (biases, norms and embeddings get none).
  public var weightDecay: Float = 0.01
  /// AdamW's β₁.
  public var beta1 = 0.9
  /// AdamW's β₂.
  public var beta2 = 0.999
  /// SGD's momentum.
  public var momentum: Float = 0.9
  /// The linear warmup steps of the schedule.
  public var warmupSteps = 10
  /// The floor of the cosine schedule, as a fraction of the peak learning rate.
  public var minimumLearningRateFactor: Float = 0.1
  /// The largest global gradient norm after clipping, or 0 for no clipping.
  public var clipNorm: Float = 1
  /// Evaluate on the held-out split every this many steps (and at the end); 0 evaluates only at the end.
  public var evaluationInterval = 50
  /// Write a checkpoint every this many steps (and at the end); 0 writes only at the end.
  public var checkpointInterval = 100
  /// The share of examples held out for evaluation.
  public var heldOutFraction = 0.1
  /// The seed of initialization, the split, the shuffles and dropout.
  public var seed: UInt64 = 0

  /// The defaults.
  public init() {}

  private enum CodingKeys: String, CodingKey {
    case steps, batchSize = "batch_size", accumulationSteps = "accumulation_steps", optimizer
    case learningRate = "learning_rate", weightDecay = "weight_decay", beta1, beta2, momentum
    case warmupSteps = "warmup_steps", minimumLearningRateFactor = "minimum_learning_rate_factor"
    case clipNorm = "clip_norm", evaluationInterval = "evaluation_interval"
    case checkpointInterval = "checkpoint_interval", heldOutFraction = "held_out_fraction", seed
  }

  /// Decodes a configuration; keys left out keep their defaults.
  ///
  /// - Throws: `DecodingError` for a value of the wrong type.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func value<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? current }
    steps = try value(.steps, steps)
    batchSize = try value(.batchSize, batchSize)
    accumulationSteps = try value(.accumulationSteps, accumulationSteps)
    optimizer = try value(.optimizer, optimizer)
    learningRate = try value(.learningRate, learningRate)
    weightDecay = try value(.weightDecay, weightDecay)
    beta1 = try value(.beta1, beta1)
    beta2 = try value(.beta2, beta2)
    momentum = try value(.momentum, momentum)
    warmupSteps = try value(.warmupSteps, warmupSteps)
    minimumLearningRateFactor = try value(.minimumLearningRateFactor, minimumLearningRateFactor)
    clipNorm = try value(.clipNorm, clipNorm)
    evaluationInterval = try value(.evaluationInterval, evaluationInterval)
    checkpointInterval = try value(.checkpointInterval, checkpointInterval)
    heldOutFraction = try value(.heldOutFraction, heldOutFraction)
    seed = try value(.seed, seed)
  }

  /// Checks the counts and rates (the optimizer and schedule check their own settings).
  ///
  /// - Throws: ``TrainingError`` naming the setting.
  public func validate() throws(TrainingError) {
    try requirePositive(steps, "steps", "training")
    try requirePositive(batchSize, "batch_size", "training")
    try requirePositive(accumulationSteps, "accumulation_steps", "training")
    for (name, value) in [("evaluation_interval", evaluationInterval), ("checkpoint_interval", checkpointInterval)]
    where value < 0 {
      throw .invalidValue(layer: "training", name: name, value: Double(value))
    }
    guard clipNorm.isFinite, clipNorm >= 0 else {
      throw .invalidValue(layer: "training", name: "clip_norm", value: Double(clipNorm))
    }
    guard heldOutFraction >= 0, heldOutFraction < 1 else {
      throw .invalidValue(layer: "training", name: "held_out_fraction", value: heldOutFraction)
    }
  }
}
