extension ParameterStore {
  /// Copies the values of every parameter of `source` into the parameter of the same name here: a base
  /// model's weights into the same model built with adapters, whose extra slots keep their values.
  ///
  /// - Throws: ``ParameterError/unknownName(_:)`` for a parameter of `source` that this store lacks, or
  ///   ``ParameterError/shapeMismatch(name:expected:actual:)``; nothing is copied then.
  /// - Complexity: O(parameters of `source`).
  public func copyValues(from source: ParameterStore) throws(ParameterError) {
    var pairs: [(from: ParameterSlot, to: ParameterSlot)] = []
    for slot in source.slots {
      let target = self[try id(of: slot.name)]
      guard target.shape == slot.shape else {
        throw .shapeMismatch(name: slot.name, expected: target.shape, actual: slot.shape)
      }
      pairs.append((slot, target))
    }
    for (from, to) in pairs { (values + to.offset).update(from: source.values + from.offset, count: from.count) }
  }
}
