import TensorCore

extension LoRALinearLayer {
  /// The handle of the base's weight `out × in` when the base is a dense ``Linear`` (the weight that merging,
  /// LoRA-GA and PiSSA change), or `nil` for a Monarch base.
  public var denseWeight: ParameterID? { (base as? Linear)?.weight }

  /// A copy of adapter `adapter`'s factors in `store` (to save them, or to start an initialization from).
  ///
  /// - Throws: ``LoRAError/unknownAdapter(module:adapter:)``.
  public func factors(adapter name: String, in store: ParameterStore) throws(LoRAError) -> LoRAFactors {
    guard let adapter = adapter(named: name) else { throw .unknownAdapter(module: module, adapter: name) }
    let (a, b) = (tensor(store, adapter.a), tensor(store, adapter.b))
    return try LoRAFactors(a: a, b: b, module: module)
  }

  /// Overwrites adapter `adapter`'s factors in `store` (an initialization's or an imported adapter's).
  ///
  /// - Throws: ``LoRAError/unknownAdapter(module:adapter:)``, or ``LoRAError/shapeMismatch(module:expected:a:b:)``
  ///   when the factors are not `rank × in` and `out × rank` of the adapter's rank (nothing is written then).
  public func setFactors(_ factors: LoRAFactors, adapter name: String, in store: ParameterStore) throws(LoRAError) {
    guard let adapter = adapter(named: name) else { throw .unknownAdapter(module: module, adapter: name) }
    guard factors.a.shape == store[adapter.a].shape, factors.b.shape == store[adapter.b].shape else {
      throw .shapeMismatch(module: module, expected: [outputFeatures, inputFeatures], a: factors.a.shape, b: factors.b.shape)
    }
    for (id, tensor) in [(adapter.a, factors.a), (adapter.b, factors.b)] {
      let values = store.values(id)
      tensor.scalars.withUnsafeBufferPointer { values.baseAddress!.update(from: $0.baseAddress!, count: values.count) }
    }
  }

  private func tensor(_ store: ParameterStore, _ id: ParameterID) -> Tensor<Float> {
    Tensor(shape: store[id].shape, scalars: Array(store.values(id)))
  }
}
