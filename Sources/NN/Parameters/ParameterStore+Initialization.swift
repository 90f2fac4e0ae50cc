import TensorCore

extension ParameterStore {
  /// Sets every element of a parameter to `value` (norm weights start at 1, biases at 0).
  public func fill(_ id: ParameterID, with value: Float) {
    let buffer = values(id)
    buffer.update(repeating: value)
  }

  /// Fills a parameter with independent normal samples (GPT-2 uses standard deviation 0.02).
  public func fillNormal(
    _ id: ParameterID, mean: Float = 0, standardDeviation: Float, using generator: inout SeededGenerator
  ) {
    let buffer = values(id)
    for i in buffer.indices { buffer[i] = mean + standardDeviation * Float(generator.nextNormal()) }
  }

  /// Fills a parameter with independent uniform samples from `[-bound, bound)` (PyTorch's default for linear
  /// layers uses `bound = 1/√fanIn`).
  public func fillUniform(_ id: ParameterID, bound: Float, using generator: inout SeededGenerator) {
    let buffer = values(id)
    for i in buffer.indices { buffer[i] = bound * Float(2 * generator.nextUnit() - 1) }
  }
}
