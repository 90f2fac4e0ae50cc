import Distributed
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
  /// Over a `ProcessGroup` of `P` ranks, rank `r` runs batches `r, r + P, r + 2P, …` (each still under step
  /// `i` and scale `1/batchCount`) and the target gradients are summed over the ranks, so every rank ends with
  /// the mean over all `batchCount` batches, weighted by how many each rank ran, as the reference's all-reduce
  /// of the averaged gradient does: the single-process estimate up to the order of the sum.
  ///
  /// - Parameters:
  ///   - model: A model without adapters.
  ///   - targets: The modules LoRA-GA will adapt; each must be a dense ``Linear``.
  ///   - batches: The training batches.
  ///   - batchCount: The number of batches to average over (the reference's `iters`).
  ///   - workspace: Scratch for the passes.
  ///   - group: The ranks that share the batches, each with the same model and batches.
  /// - Returns: `G` by module name, on every rank.
  /// - Throws: ``LoRAError/invalidBatchCount(_:)``, ``LoRAError/noTargetMatched(targets:candidates:)``,
  ///   ``LoRAError/modelHasAdapters(module:)``, ``LoRAError/gradientNeedsDenseWeight(module:)``, or the model's
  ///   error for a batch that does not fit (the flags are restored then too), `DistributedError` when a rank
  ///   fails in the reduction.
  /// - Complexity: `batchCount` forward and backward passes.
  public static func meanGradients<Batches: BatchProvider>(
    of model: some AdaptableModel, targets: LoRATargets, batches: inout Batches, batchCount: Int,
    workspace: Workspace = Workspace(), group: any ProcessGroup = SingleProcessGroup()
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
    for index in stride(from: group.rank, to: batchCount, by: group.size) {
      workspace.reset()
      _ = try model.loss(
        on: batches.trainingBatch(at: index), pass: .training(step: index, gradientScale: scale), workspace: workspace)
    }
    if group.size > 1 {
      for (_, weight) in weights { try group.allReduce(store.gradient(weight), .sum) }
    }
    var gradients: [String: Tensor<Float>] = [:]
    for (module, weight) in weights { gradients[module] = try store.gradientTensor(named: store[weight].name) }
    return gradients
  }
}
