import TensorCore

extension StateSpaceMatrices {
  /// The convolution kernel `K_j = C Āʲ B̄` of this discrete system, by repeated multiplication: the
  /// reference that every fast kernel is checked against.
  ///
  /// - Parameters:
  ///   - c: The output row C, N entries.
  ///   - length: The kernel length L (at least 1).
  /// - Returns: L taps.
  /// - Complexity: O(N²·L).
  public func powerSeriesKernel(output c: [Double], length: Int) -> [Double] {
    precondition(c.count == order, "powerSeriesKernel: C has \(c.count) entries, not \(order)")
    var state = b
    var kernel = [Double](repeating: 0, count: length)
    for j in 0..<length {
      var sum = 0.0
      for n in 0..<order { sum += c[n] * state[n] }
      kernel[j] = sum
      state = apply(to: state, input: 0)
    }
    return kernel
  }

  /// The output of the recurrence `x ← Ā x + B̄ u`, `y = C x + D u` on one sequence (y reads the state after the update, so `K₀ = C B̄`).
  ///
  /// - Parameters:
  ///   - input: The sequence u.
  ///   - c: The output row C.
  ///   - feedthrough: D.
  /// - Returns: y, one value per input.
  /// - Complexity: O(N²·L).
  public func recurrentOutput(_ input: [Double], output c: [Double], feedthrough: Double = 0) -> [Double] {
    var state = [Double](repeating: 0, count: order)
    return input.map { u in
      state = apply(to: state, input: u)
      var y = feedthrough * u
      for n in 0..<order { y += c[n] * state[n] }
      return y
    }
  }
}
