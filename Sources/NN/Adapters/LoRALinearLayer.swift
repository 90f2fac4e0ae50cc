import TensorCore

/// A linear layer with low-rank adapters: `y = base(x) + Σ sₖ·(dropoutₖ(x) Aₖᵀ) Bₖᵀ` over its active
/// adapters, the base any ``LinearLayer`` (a dense ``Linear`` or a ``MonarchLinearLayer``).
///
/// Each adapter (``LoRAAdapter``) has its own name, rank, scale (`α/r`, or `α/√r` with rsLoRA), dropout and
/// enabled flag; several adapters on one layer add their updates, as PEFT's `LoraLayer` does with several
/// active adapters. The factors are PEFT's in-memory parameters `<module>.lora_A.<adapter>.weight` (`r × in`)
/// and `<module>.lora_B.<adapter>.weight` (`out × r`); the base keeps its own slot names, so checkpoints of the
/// base model load unchanged.
///
/// The backward pass never forms `ΔW = s·B·A`: with `u = x̃ Aᵀ` (`x̃` the dropped input),
/// `dB = s·dYᵀ u`, `du = s·dY B`, `dA = duᵀ x̃` and `dx += du A` (through the dropout mask), each computed only
/// when a parameter or the input needs it; the base's own gradients follow its slots' flags, so a frozen base
/// weight gets none. Scratch comes from the step's `Workspace`.
///
/// Merging adds `s·B·A` into a dense base weight (and unmerging subtracts it); a merged adapter no longer runs
/// on its own. A Monarch base cannot hold a general rank-`r` update, so its adapters stay unmerged and
/// ``merge(adapter:in:)`` throws ``LoRAError/mergeUnsupported(module:reason:)``.
public struct LoRALinearLayer: LinearLayer {
  /// The module name (`transformer.h.0.attn.c_attn`), the prefix of the base's and the adapters' slots.
  public let module: String
  /// The adapted layer.
  public let base: any LinearLayer
  /// The adapters, in the order they were added.
  public private(set) var adapters: [LoRAAdapter] = []

  /// The width of the input.
  public var inputFeatures: Int { base.inputFeatures }
  /// The width of the output.
  public var outputFeatures: Int { base.outputFeatures }

  /// Wraps `base`, declared under `module`, with no adapter yet.
  public init(_ module: String, base: any LinearLayer) {
    self.module = module
    self.base = base
  }

  /// Declares an adapter's factors in `layout` and adds it to the layer.
  ///
  /// - Parameters:
  ///   - name: The adapter's name: one dotted component.
  ///   - scaling: The rank (at most `min(in, out)`) and the scale rule.
  ///   - dropout: The probability of dropping an element of the adapter's input while training, in `[0, 1)`.
  ///   - seed: The seed of the adapter's dropout masks and of its default initialization.
  ///   - layout: The layout of the model's parameters.
  /// - Throws: ``LoRAError/duplicateAdapter(module:adapter:)``, ``LoRAError/invalidAdapterName(_:)``,
  ///   ``LoRAError/invalidRank(module:rank:maximum:)``, ``LoRAError/invalidDropout(adapter:probability:)``, or a
  ///   ``ParameterError`` for a name already declared.
  public mutating func addAdapter(
    _ name: String, scaling: LoRAScaling, dropout: Double = 0, seed: UInt64 = 0, layout: inout ParameterLayout
  ) throws {
    guard adapter(named: name) == nil else { throw LoRAError.duplicateAdapter(module: module, adapter: name) }
    adapters.append(
      try LoRAAdapter(
        name, module: module, inputFeatures: inputFeatures, outputFeatures: outputFeatures, scaling: scaling,
        dropout: dropout, seed: seed, layout: &layout))
  }

  /// The adapter named `name`, if the layer has one.
  public func adapter(named name: String) -> LoRAAdapter? { adapters.first { $0.name == name } }

  // MARK: Initialization

  /// The base's own initialization, then every adapter at PEFT's default (`A` uniform in `±1/√in`, `B = 0`).
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    base.initialize(store, using: &generator)
    for adapter in adapters { adapter.initializeDefault(store) }
  }

  /// The base's GPT-2 initialization, then every adapter at PEFT's default (`A` uniform in `±1/√in`, `B = 0`).
  public func initializeNormal(_ store: ParameterStore, standardDeviation: Float, using generator: inout SeededGenerator) {
    base.initializeNormal(store, standardDeviation: standardDeviation, using: &generator)
    for adapter in adapters { adapter.initializeDefault(store) }
  }

  // MARK: Passes

  /// The adapter's input: `x` itself, or `x` through the adapter's dropout mask of `dropoutStep`.
  private func adapterInput(
    _ adapter: LoRAAdapter, _ input: MatrixView<Float>, dropoutStep: Int?, workspace: Workspace
  ) -> MatrixView<Float> {
    guard let dropout = adapter.dropout, let step = dropoutStep else { return input }
    let dropped = workspace.matrix(rows: input.rows, columns: inputFeatures)
    dropout.forward(input, into: dropped, step: step)
    return dropped.readOnly
  }

  /// Computes `output = base(input) + Σ s·(dropout(input) Aᵀ) Bᵀ` over the active adapters.
  ///
  /// - Parameters:
  ///   - input: `tokens × inputFeatures`.
  ///   - output: `tokens × outputFeatures`, overwritten; must not overlap `input`.
  ///   - parameters: The store holding the base's and the adapters' parameters.
  ///   - workspace: Scratch for `u = x Aᵀ` (`tokens × r`) and the dropped input.
  ///   - dropoutStep: The training step of the adapters' dropout masks, or `nil` for no dropout.
  /// - Complexity: The base's cost plus O(tokens·r·(in + out)) per active adapter (two `sgemm`s).
  public func forward(
    _ input: MatrixView<Float>, into output: MutableMatrixView<Float>, parameters: ParameterStore,
    workspace: Workspace, dropoutStep: Int?
  ) {
    base.forward(input, into: output, parameters: parameters, workspace: workspace, dropoutStep: dropoutStep)
    for adapter in adapters where adapter.isActive {
      let x = adapterInput(adapter, input, dropoutStep: dropoutStep, workspace: workspace)
      let u = workspace.matrix(rows: input.rows, columns: adapter.scaling.rank)
      gemm(x, parameters.valueMatrix(adapter.a).readOnly, u, transposeB: true)
      gemm(u.readOnly, parameters.valueMatrix(adapter.b).readOnly, output, transposeB: true, alpha: adapter.scale, beta: 1)
    }
  }

  /// The vector–Jacobian product: the base's gradients (for its slots that need one), then per active adapter
  /// `dB += s·dYᵀ u`, `dA += duᵀ x̃` with `du = s·dY B`, and `dx += du A` (through the dropout mask).
  ///
  /// - Parameters:
  ///   - input: What ``forward(_:into:parameters:workspace:dropoutStep:)`` received.
  ///   - outputGradient: `tokens × outputFeatures`.
  ///   - inputGradient: Where `∂L/∂x` goes (the base writes or adds it, the adapters add to it), or `nil`.
  ///   - parameters: The store whose gradients receive the parameter gradients.
  ///   - workspace: Scratch for `u`, `du`, the dropped input and its gradient.
  ///   - dropoutStep: What the forward pass received.
  /// - Complexity: The base's cost plus O(tokens·r·(in + out)) per gradient computed.
  public func backward(
    input: MatrixView<Float>, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore, workspace: Workspace, dropoutStep: Int?
  ) {
    base.backward(
      input: input, outputGradient: outputGradient, inputGradient: inputGradient, parameters: parameters,
      workspace: workspace, dropoutStep: dropoutStep)
    let tokens = input.rows
    for adapter in adapters where adapter.isActive {
      let (needsA, needsB) = (parameters[adapter.a].needsGradient, parameters[adapter.b].needsGradient)
      guard needsA || needsB || inputGradient != nil else { continue }
      let (rank, scale) = (adapter.scaling.rank, adapter.scale)
      let a = parameters.valueMatrix(adapter.a).readOnly
      let x = adapterInput(adapter, input, dropoutStep: dropoutStep, workspace: workspace)
      if needsB {
        let u = workspace.matrix(rows: tokens, columns: rank)
        gemm(x, a, u, transposeB: true)
        gemm(outputGradient, u.readOnly, parameters.gradientMatrix(adapter.b), transposeA: true, alpha: scale, beta: 1)
      }
      guard needsA || inputGradient != nil else { continue }
      let du = workspace.matrix(rows: tokens, columns: rank)
      gemm(outputGradient, parameters.valueMatrix(adapter.b).readOnly, du, alpha: scale)
      if needsA { gemm(du.readOnly, x, parameters.gradientMatrix(adapter.a), transposeA: true, beta: 1) }
      guard let inputGradient else { continue }
      if let dropout = adapter.dropout, let step = dropoutStep {
        let droppedGradient = workspace.matrix(rows: tokens, columns: inputFeatures)
        gemm(du.readOnly, a, droppedGradient)
        dropout.backward(
          outputGradient: droppedGradient.readOnly, inputGradient: .accumulate(inputGradient.view), step: step)
      } else {
        gemm(du.readOnly, a, inputGradient.view, beta: 1)
      }
    }
  }

  // MARK: Merging

  /// Adds `s·B·A` of adapter `name` into the dense base weight in `store`; the adapter then stops running on
  /// its own until ``unmerge(adapter:in:)``.
  ///
  /// - Throws: ``LoRAError/unknownAdapter(module:adapter:)``, ``LoRAError/adapterAlreadyMerged(module:adapter:)``,
  ///   or ``LoRAError/mergeUnsupported(module:reason:)`` for a base that is not a dense ``Linear``.
  /// - Complexity: O(out·r·in), one `sgemm`.
  public func merge(adapter name: String, in store: ParameterStore) throws(LoRAError) {
    let (adapter, weight) = try mergeTarget(name, merged: false)
    gemm(
      store.valueMatrix(adapter.b).readOnly, store.valueMatrix(adapter.a).readOnly, store.valueMatrix(weight),
      alpha: adapter.scale, beta: 1)
    adapter.setMerged(true)
  }

  /// Subtracts `s·B·A` of a merged adapter from the base weight again (the weight comes back to rounding)
  /// and lets the adapter run on its own.
  ///
  /// - Throws: ``LoRAError/unknownAdapter(module:adapter:)``, ``LoRAError/adapterNotMerged(module:adapter:)``,
  ///   or ``LoRAError/mergeUnsupported(module:reason:)`` for a base that is not a dense ``Linear``.
  /// - Complexity: O(out·r·in), one `sgemm`.
  public func unmerge(adapter name: String, in store: ParameterStore) throws(LoRAError) {
    let (adapter, weight) = try mergeTarget(name, merged: true)
    gemm(
      store.valueMatrix(adapter.b).readOnly, store.valueMatrix(adapter.a).readOnly, store.valueMatrix(weight),
      alpha: -adapter.scale, beta: 1)
    adapter.setMerged(false)
  }

  /// The adapter and the dense weight a merge (`merged == false`) or an unmerge (`merged == true`) acts on.
  func mergeTarget(_ name: String, merged: Bool) throws(LoRAError) -> (LoRAAdapter, ParameterID) {
    guard let adapter = adapter(named: name) else { throw .unknownAdapter(module: module, adapter: name) }
    guard let weight = denseWeight else {
      throw .mergeUnsupported(
        module: module,
        reason: "its base is a \(type(of: base)), not a dense Linear; a low-rank update is not a Monarch matrix, "
          + "so the adapter stays unmerged")
    }
    guard adapter.isMerged == merged else {
      throw merged ? .adapterNotMerged(module: module, adapter: name) : .adapterAlreadyMerged(module: module, adapter: name)
    }
    return (adapter, weight)
  }
}
