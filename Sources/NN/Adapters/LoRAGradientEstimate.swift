import TensorCore

/// LoRA-GA's first step (the authors' reference, lora.md §2 step 1): the full-weight gradient `G = ∂L/∂W`
/// (`out × in`) of each target module, the mean over batches of each batch's mean-loss gradient, taken on the
/// model without adapters in training mode.
public enum LoRAGradientEstimate {
  /// The mean gradient of every target module's dense weight over `batchCount` training batches.
  ///
  /// For the duration of the pass the target weights are frozen but keep their gradient and every other
  /// parameter gets none (its gradient work is skipped); the store's flags are restored afterwards, its values
  /// are unchanged, and its gradients hold `G` (the other slots zero). Batch `i` is
  /// `batches.trainingBatch(at: i)` under ``Pass/training(step:gradientScale:)`` with step `i` and scale
  /// `1/batchCount`, so the gradients accumulate straight into the mean: the store holds one gradient per
  /// target layer and nothing else is kept.
  ///
  /// - Parameters:
  ///   - model: A model without adapters.
  ///   - targets: The modules LoRA-GA will adapt; each must be a dense ``Linear``.
  ///   - batches: The training batches.
  ///   - batchCount: The number of batches to average over (the reference's `iters`).
  ///   - workspace: Scratch for the passes.
  /// - Returns: `G` by module name.
  /// - Throws: ``LoRAError/invalidBatchCount(_:)``, ``LoRAError/noTargetMatched(targets:candidates:)``,
  ///   ``LoRAError/modelHasAdapters(module:)``, ``LoRAError/gradientNeedsDenseWeight(module:)``, or the model's
  ///   error for a batch that does not fit (the flags are restored then too).
  /// - Complexity: `batchCount` forward and backward passes.
  public static func meanGradients<Batches: BatchProvider>(
    of model: some AdaptableModel, targets: LoRATargets, batches: inout Batches, batchCount: Int,
    workspace: Workspace = Workspace()
  ) throws -> [String: Tensor<Float>] {
    guard batchCount >= 1 else { throw LoRAError.invalidBatchCount(batchCount) }
    let matches = try targets.matcher()
    var weights: [(module: String, weight: ParameterID)] = []
    for module in model.linearModules where matches(module.module) {
      if module.layer is LoRALinearLayer { throw LoRAError.modelHasAdapters(module: module.module) }
      guard let dense = module.layer as? Linear else { throw LoRAError.gradientNeedsDenseWeight(module: module.module) }
      weights.append((module.module, dense.weight))
    }
    guard !weights.isEmpty else {
      throw LoRAError.noTargetMatched(targets: targets.description, candidates: model.linearModules.map(\.module))
    }
    let store = model.parameters
    let wasTrainable = Set(store.slots.filter(\.trainable).map(\.name))
    let keptGradient = Set(store.slots.filter { !$0.trainable && $0.needsGradient }.map(\.name))
    defer {
      store.setTrainable(false, keepingGradient: true) { keptGradient.contains($0) }
      store.setTrainable(false) { !wasTrainable.contains($0) && !keptGradient.contains($0) }
      store.setTrainable(true) { wasTrainable.contains($0) }
    }
    let targetNames = Set(weights.map { store[$0.weight].name })
    store.setTrainable(false) { !targetNames.contains($0) }
    store.setTrainable(false, keepingGradient: true) { targetNames.contains($0) }
    store.zeroGradients()
    let scale = 1 / Float(batchCount)
    for index in 0..<batchCount {
      workspace.reset()
      _ = try model.loss(
        on: batches.trainingBatch(at: index), pass: .training(step: index, gradientScale: scale), workspace: workspace)
    }
    var gradients: [String: Tensor<Float>] = [:]
    for (module, weight) in weights { gradients[module] = try store.gradientTensor(named: store[weight].name) }
    return gradients
  }
}
