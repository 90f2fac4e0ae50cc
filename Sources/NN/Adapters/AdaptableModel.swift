/// A linear layer of a model under its module name (`transformer.h.0.attn.c_attn`, `hidden.0`).
public struct NamedLinearLayer: Sendable {
  /// The module name: the prefix of the layer's parameter names.
  public let module: String
  /// The layer (a ``LoRALinearLayer`` where adapters were planned).
  public let layer: any LinearLayer

  /// Pairs a module name with its layer.
  public init(module: String, layer: any LinearLayer) {
    self.module = module
    self.layer = layer
  }
}

/// A trainable model whose linear layers are named modules that LoRA adapters can target.
public protocol AdaptableModel: TrainableModel {
  /// Every linear layer of the model in declaration order, adapted or not.
  var linearModules: [NamedLinearLayer] { get }

  /// A model of the same architecture and sizes built with `adapters` instead of this model's, every
  /// parameter zero (copy a base model's values in with ``ParameterStore/copyValues(from:)``).
  ///
  /// - Throws: What the model's initializer throws for `adapters` (a ``LoRAError`` naming the module).
  func adapted(with adapters: [LoRAConfiguration]) throws -> Self
}

extension AdaptableModel {
  /// The layers that carry adapters.
  public var loraLayers: [LoRALinearLayer] { linearModules.compactMap { $0.layer as? LoRALinearLayer } }

  /// The layers that carry an adapter named `adapter`.
  private func layers(carrying adapter: String) throws(LoRAError) -> [LoRALinearLayer] {
    let layers = loraLayers.filter { $0.adapter(named: adapter) != nil }
    guard !layers.isEmpty else { throw .unknownAdapter(module: "model", adapter: adapter) }
    return layers
  }

  /// Merges adapter `adapter` into the base weight of every layer that carries it, after checking that
  /// every one of them can merge (so a failure changes no weight).
  ///
  /// - Throws: ``LoRAError/unknownAdapter(module:adapter:)`` when no layer carries it,
  ///   ``LoRAError/mergeUnsupported(module:reason:)`` for a Monarch base, or
  ///   ``LoRAError/adapterAlreadyMerged(module:adapter:)``.
  public func mergeAdapter(named adapter: String) throws(LoRAError) {
    let layers = try layers(carrying: adapter)
    for layer in layers { _ = try layer.mergeTarget(adapter, merged: false) }
    for layer in layers { try layer.merge(adapter: adapter, in: parameters) }
  }

  /// Subtracts a merged adapter from the base weight of every layer that carries it.
  ///
  /// - Throws: As ``mergeAdapter(named:)``, with ``LoRAError/adapterNotMerged(module:adapter:)``.
  public func unmergeAdapter(named adapter: String) throws(LoRAError) {
    let layers = try layers(carrying: adapter)
    for layer in layers { _ = try layer.mergeTarget(adapter, merged: true) }
    for layer in layers { try layer.unmerge(adapter: adapter, in: parameters) }
  }

  /// Turns adapter `adapter` on or off in every layer that carries it.
  ///
  /// - Throws: ``LoRAError/unknownAdapter(module:adapter:)`` when no layer carries it.
  public func setAdapter(named adapter: String, enabled: Bool) throws(LoRAError) {
    for layer in try layers(carrying: adapter) { layer.adapter(named: adapter)?.setEnabled(enabled) }
  }
}
