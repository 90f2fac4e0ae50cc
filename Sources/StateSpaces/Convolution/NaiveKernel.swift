import TensorCore

extension StateSpaceMatrices {
  /// The convolution kernel `K_j = C Āʲ B̄` of this discrete system, by repeated multiplication: the
  /// reference that every fast kernel is checked against.
  ///
  /// - Parameters:
  ///   - c: The output row C, N entries.
  ///   - length: The kernel length L (at least 1).
  /// - Returns: L taps.
  /// - Throws: ``StateSpaceError/invalidInput(_:)`` when C does not have N finite entries;
  ///   ``StateSpaceError/invalidParameter(_:)`` when L < 1.
  /// - Complexity: O(N²·L).
  public func powerSeriesKernel(output c: [Double], length: Int) throws -> [Double] {
    try validate(output: c, "power-series kernel")
    guard length >= 1 else {
      throw StateSpaceError.invalidParameter("power-series kernel: length L must be at least 1, got \(length)")
    }
    var state = b
    var kernel = [Double](repeating: 0, count: length)
    for j in 0..<length {
      var sum = 0.0
      for n in 0..<order { sum += c[n] * state[n] }
      kernel[j] = sum
      state = advanced(state, input: 0)
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
  /// - Throws: ``StateSpaceError/invalidInput(_:)`` when C does not have N finite entries or the input or D
  ///   holds NaN or an infinity.
  /// - Complexity: O(N²·L).
  public func recurrentOutput(_ input: [Double], output c: [Double], feedthrough: Double = 0) throws -> [Double] {
    try validate(output: c, "recurrence")
    try StateSpaceValidation.requireFinite(input, "recurrence: the input sequence")
    try StateSpaceValidation.requireFinite([feedthrough], "recurrence: D")
    var state = [Double](repeating: 0, count: order)
    return input.map { u in
      state = advanced(state, input: u)
      var y = feedthrough * u
      for n in 0..<order { y += c[n] * state[n] }
      return y
    }
  }

  /// Throws unless C has N finite entries.
  private func validate(output c: [Double], _ what: String) throws {
    guard c.count == order else {
      throw StateSpaceError.invalidInput("\(what): C has \(c.count) entries, not N = \(order)")
    }
    try StateSpaceValidation.requireFinite(c, "\(what): C")
  }
}
