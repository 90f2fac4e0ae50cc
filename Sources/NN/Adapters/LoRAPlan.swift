/// The adapters a model is being built with: wraps each linear module that a ``LoRAConfiguration``'s targets
/// match while the model declares its layers, then checks that every configuration matched something and
/// freezes every parameter that is not an adapter factor.
struct LoRAPlan {
  private let configurations: [LoRAConfiguration]
  private let matchers: [(String) -> Bool]
  private let scalings: [(String) throws(LoRAError) -> LoRAScaling]
  private var matchCounts: [Int]
  /// Every linear module declared so far, in order, adapted or not.
  private(set) var modules: [NamedLinearLayer] = []

  /// A plan for `configurations` (none: a model without adapters).
  ///
  /// - Throws: ``LoRAError/duplicateAdapter(module:adapter:)`` for two configurations of one adapter name, or
  ///   ``LoRAError/invalidTargetPattern(pattern:reason:)`` for a target, rank or alpha pattern.
  init(_ configurations: [LoRAConfiguration]) throws(LoRAError) {
    var names: Set<String> = []
    for configuration in configurations where !names.insert(configuration.adapterName).inserted {
      throw .duplicateAdapter(module: "model", adapter: configuration.adapterName)
    }
    var matchers: [(String) -> Bool] = []
    var scalings: [(String) throws(LoRAError) -> LoRAScaling] = []
    for configuration in configurations {
      matchers.append(try configuration.targets.matcher())
      scalings.append(try configuration.scalingResolver())
    }
    self.configurations = configurations
    self.matchers = matchers
    self.scalings = scalings
    matchCounts = Array(repeating: 0, count: configurations.count)
  }

  /// Records the linear module `module` and returns it wrapped with the adapters whose targets match it (or
  /// `base` itself).
  ///
  /// - Throws: A ``LoRAError`` naming the module for a rank outside `1...min(in, out)`, an `alpha` that is not
  ///   positive or a dropout outside `[0, 1)`.
  mutating func wrap(_ module: String, _ base: any LinearLayer, layout: inout ParameterLayout) throws -> any LinearLayer {
    var adapted: LoRALinearLayer?
    for (index, configuration) in configurations.enumerated() where matchers[index](module) {
      var layer = adapted ?? LoRALinearLayer(module, base: base)
      try layer.addAdapter(
        configuration.adapterName, scaling: try scalings[index](module), dropout: configuration.dropout,
        seed: configuration.seed &+ UInt64(modules.count), layout: &layout)
      adapted = layer
      matchCounts[index] += 1
    }
    let layer: any LinearLayer = adapted ?? base
    modules.append(NamedLinearLayer(module: module, layer: layer))
    return layer
  }

  /// Checks that every configuration's targets matched at least one module.
  ///
  /// - Throws: ``LoRAError/noTargetMatched(targets:candidates:)`` listing the model's linear modules.
  func requireEveryTargetMatched() throws(LoRAError) {
    for (index, configuration) in configurations.enumerated() where matchCounts[index] == 0 {
      throw .noTargetMatched(targets: configuration.targets.description, candidates: modules.map(\.module))
    }
  }

  /// With adapters, freezes every parameter of `store` but the adapters' factors (PEFT's `bias="none"`).
  func freezeBase(_ store: ParameterStore) {
    guard !configurations.isEmpty else { return }
    var factors: Set<String> = []
    for case let layer as LoRALinearLayer in modules.map(\.layer) {
      for adapter in layer.adapters {
        factors.insert(store[adapter.a].name)
        factors.insert(store[adapter.b].name)
      }
    }
    store.setTrainable(false) { !factors.contains($0) }
  }
}
