import Distributed
import TensorCore

/// A LoRA fine-tuning run of a base model: the adapted model with its adapters initialized, the starting
/// factors kept, and the export of the trained adapter as a PEFT adapter for the base model's original
/// weights.
///
/// Building it (``init(base:configuration:initialization:gradientBatches:gradientBatchCount:group:)``):
/// 1. for LoRA-GA, the mean full-weight gradient `G` of every target over `gradientBatchCount` batches, taken on
///    the base model without adapters (``LoRAGradientEstimate``);
/// 2. the base's architecture built with the adapter (``AdaptableModel/adapted(with:)``), the base's values
///    copied in, and per target the initialization's `A`, `B` and, for the methods that change the base weight
///    (LoRA-GA, PiSSA), `W_frozen = W − s·B·A` in the layer's dense weight, so the model's output is unchanged;
/// 3. the starting factors kept in ``initialFactors``.
///
/// Train ``model`` with any optimizer (``makeTrainer(data:training:loraPlusRatio:group:)`` builds a ``Trainer``, with
/// LoRA+'s groups when asked), then ``exportedAdapter()`` gives the adapter that applies to the original base
/// weights: for LoRA-GA and PiSSA the rank-`2r` conversion `A' = [A ; A₀]`, `B' = [B , −B₀]` with `r ← 2r` and
/// `α ← 2α` (`√2·α` with rsLoRA), otherwise the trained factors of rank `r`; `init_lora_weights` is `true`.
///
/// ```swift
/// let batches = components.batches
/// let run = try LoRAFineTuning(
///   base: base, configuration: LoRAConfiguration(rank: 8, alpha: 16, useRSLoRA: true, targets: .pattern(".*")),
///   initialization: .loraGA(LoRAGAOptions()), gradientBatches: batches, gradientBatchCount: 8)
/// let trainer = try run.makeTrainer(data: batches, training: training, loraPlusRatio: nil)
/// try trainer.run()
/// try run.exportedAdapter().save(to: URL(fileURLWithPath: "adapter"))
/// ```
public final class LoRAFineTuning {
  /// The base's architecture with the adapter on every target; only the adapter factors train.
  public let model: any AdaptableModel
  /// The adapter plan.
  public let configuration: LoRAConfiguration
  /// How the factors started.
  public let initialization: LoRAInitialization
  /// `A₀`, `B₀` of every adapted module, by module name, as they were set into ``model``.
  public let initialFactors: [String: LoRAFactors]

  /// Builds the adapted model of `base` and initializes its adapters.
  ///
  /// `base` keeps its values; its gradients are overwritten by the LoRA-GA pass.
  /// - Parameters:
  ///   - base: The base model without adapters, its values loaded.
  ///   - configuration: The adapter plan: rank, α, rsLoRA, dropout, targets, patterns, name and seed (the seed
  ///     of the initializations' random draws, taken in module order).
  ///   - initialization: How the factors start.
  ///   - gradientBatches: The batches of LoRA-GA's gradient (required when `initialization.needsGradient`,
  ///     ignored otherwise): batches `0..<gradientBatchCount` of its training split.
  ///   - gradientBatchCount: The number of batches the gradient averages over (the reference's `iters`).
  ///   - group: The ranks that share LoRA-GA's gradient batches (``LoRAGradientEstimate``); every rank ends
  ///     with the same factors.
  /// - Throws: ``LoRAError`` naming the module for a rank outside `1...min(in, out)`,
  ///   ``LoRAError/noTargetMatched(targets:candidates:)`` listing the model's linear modules,
  ///   ``LoRAError/missingGradient(module:initialization:)`` without `gradientBatches` for LoRA-GA,
  ///   ``LoRAError/invalidBatchCount(_:)``, ``LoRAError/gradientNeedsDenseWeight(module:)`` or
  ///   ``LoRAError/mergeUnsupported(module:reason:)`` for a method that changes the weight of a Monarch layer,
  ///   the initialization's errors, or the model's error for a batch that does not fit.
  public init(
    base: any AdaptableModel, configuration: LoRAConfiguration, initialization: LoRAInitialization,
    gradientBatches: (any BatchProvider)? = nil, gradientBatchCount: Int = 8,
    group: any ProcessGroup = SingleProcessGroup()
  ) throws {
    let model = try base.adapted(with: [configuration])
    try model.parameters.copyValues(from: base.parameters)
    var gradients: [String: Tensor<Float>] = [:]
    if initialization.needsGradient {
      guard var batches = gradientBatches else {
        throw LoRAError.missingGradient(
          module: model.loraLayers.first?.module ?? "model", initialization: initialization.name)
      }
      gradients = try LoRAGradientEstimate.meanGradients(
        of: base, targets: configuration.targets, batches: &batches, batchCount: gradientBatchCount, group: group)
    }
    let store = model.parameters
    var generator = SeededGenerator(seed: configuration.seed)
    var initialFactors: [String: LoRAFactors] = [:]
    for layer in model.loraLayers {
      guard let adapter = layer.adapter(named: configuration.adapterName) else { continue }
      let weight: Tensor<Float>
      if let dense = layer.denseWeight {
        weight = Tensor(shape: store[dense].shape, scalars: Array(store.values(dense)))
      } else if initialization.changesBaseWeight {
        throw LoRAError.mergeUnsupported(
          module: layer.module,
          reason: "\(initialization.name) replaces the base weight by W − s·B·A, and a Monarch layer cannot hold it")
      } else {
        weight = Tensor(zeros: [layer.outputFeatures, layer.inputFeatures])
      }
      let result = try initialization.initialize(
        weight: weight, gradient: gradients[layer.module], scaling: adapter.scaling, module: layer.module,
        using: &generator)
      try layer.setFactors(result.factors, adapter: adapter.name, in: store)
      if let frozen = result.frozenWeight, let dense = layer.denseWeight {
        try store.setValues(named: store[dense].name, to: frozen)
      }
      initialFactors[layer.module] = result.factors
    }
    self.model = model
    self.configuration = configuration
    self.initialization = initialization
    self.initialFactors = initialFactors
  }

  /// The adapted modules, in the model's order.
  public var targetModules: [String] {
    model.loraLayers.filter { $0.adapter(named: configuration.adapterName) != nil }.map(\.module)
  }

  /// A trainer of ``model``: with a LoRA+ ratio, every trainable parameter moves into its
  /// ``LoRAPlus`` group (`B` at `ratio` times the configuration's learning rate, the configuration's weight
  /// decay on `A` and `B`); without one, the configuration's rate for every factor.
  ///
  /// - Parameters:
  ///   - data: The fine-tuning batches.
  ///   - training: Steps, batch, optimizer, learning rate (`η_A` with LoRA+) and schedule.
  ///   - loraPlusRatio: `η_B / η_A`, or `nil` for plain LoRA.
  ///   - group: The ranks that train data-parallel.
  /// - Throws: ``LoRAError/invalidLearningRateRatio(_:)``, or the ``Trainer``'s ``TrainingError``.
  public func makeTrainer(
    data: any BatchProvider, training: TrainingConfiguration, loraPlusRatio: Float? = nil,
    group: any ProcessGroup = SingleProcessGroup()
  ) throws -> Trainer {
    let groups = try loraPlusRatio.map { (ratio) throws(LoRAError) in
      try LoRAPlus.groupTable(
        assigningGroupsIn: model.parameters, learningRate: training.learningRate, ratio: ratio,
        weightDecay: training.weightDecay)
    }
    return try Trainer(model: model, data: data, configuration: training, groups: groups, group: group)
  }
}
