/// A LoRA plan for a model: one named adapter of one rank and scale on every linear module that the
/// targets match (PEFT's `LoraConfig`).
///
/// A model built with a list of configurations (``LanguageModel/init(_:adapters:)``,
/// ``MLPClassifier/init(configuration:adapters:)``) wraps each matching module in a ``LoRALinearLayer``
/// carrying one adapter per matching configuration, and freezes every parameter that is not an adapter factor.
public struct LoRAConfiguration: Sendable, Equatable {
  /// The adapter's name in parameter names (`lora_A.<name>.weight`); PEFT's `"default"` unless chosen.
  public var adapterName: String
  /// The rank `r` (PEFT's default 8).
  public var rank: Int
  /// `lora_alpha` (PEFT's default 8).
  public var alpha: Double
  /// Whether the scale is `α/√r` (rsLoRA) instead of `α/r`.
  public var useRSLoRA: Bool
  /// `lora_dropout`: the probability of dropping an element of each adapter's input while training.
  public var dropout: Double
  /// The modules that receive the adapter.
  public var targets: LoRATargets
  /// Ranks of their own for the modules these patterns match (PEFT's `rank_pattern`, first match wins).
  public var rankPattern: [LoRAPatternOverride<Int>]
  /// Alphas of their own for the modules these patterns match (PEFT's `alpha_pattern`, first match wins).
  public var alphaPattern: [LoRAPatternOverride<Double>]
  /// The seed of the adapters' dropout masks and default initializations (each module derives its own).
  public var seed: UInt64

  /// The rank and scale of the adapter on module `module`: the configuration's, or the first matching
  /// ``rankPattern`` and ``alphaPattern`` entries'.
  ///
  /// - Throws: ``LoRAError/invalidTargetPattern(pattern:reason:)``, or the ``LoRAScaling`` errors naming the
  ///   module.
  public func scaling(for module: String) throws(LoRAError) -> LoRAScaling {
    try scalingResolver()(module)
  }

  /// ``scaling(for:)`` with the patterns compiled once.
  func scalingResolver() throws(LoRAError) -> (String) throws(LoRAError) -> LoRAScaling {
    let (ranks, alphas) = (try LoRAPatternOverride.resolver(rankPattern), try LoRAPatternOverride.resolver(alphaPattern))
    let (rank, alpha, useRSLoRA) = (self.rank, self.alpha, self.useRSLoRA)
    return { (module: String) throws(LoRAError) -> LoRAScaling in
      try LoRAScaling(rank: ranks(module) ?? rank, alpha: alphas(module) ?? alpha, useRSLoRA: useRSLoRA, module: module)
    }
  }

  /// Creates a plan.
  public init(
    rank: Int = 8, alpha: Double = 8, useRSLoRA: Bool = false, dropout: Double = 0, targets: LoRATargets,
    rankPattern: [LoRAPatternOverride<Int>] = [], alphaPattern: [LoRAPatternOverride<Double>] = [],
    adapterName: String = "default", seed: UInt64 = 0
  ) {
    self.rankPattern = rankPattern
    self.alphaPattern = alphaPattern
    self.adapterName = adapterName
    self.rank = rank
    self.alpha = alpha
    self.useRSLoRA = useRSLoRA
    self.dropout = dropout
    self.targets = targets
    self.seed = seed
  }
}
