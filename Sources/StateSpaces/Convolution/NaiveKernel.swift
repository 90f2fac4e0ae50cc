import TensorCore

extension StateSpaceMatrices {
  /// The convolution kernel `K_j = C Āʲ B̄` of this discrete system, by repeated multiplication: the
  /// reference that every fast kernel is checked against.
  ///
  /// - Parameters:
  ///   - c: The output row C, N entries.
  ///   - length: The kernel length L (at least 1).
  /// - Returns: L taps.
  /// - Throws: ``StateSpaceError`` when C does not have N finite entries;
  ///   ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when L < 1.
  /// - Complexity: O(N²·L).
  public func powerSeriesKernel(output c: [Double], length: Int) throws -> [Double] {
    try validate(output: c, "power-series kernel")
    guard length >= 1 else {
      throw StateSpaceError.invalidParameter(operation: "power-series kernel", parameter: "length L", value: "\(length)", requirement: "at least 1")
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
  /// - Throws: ``StateSpaceError`` when C does not have N finite entries or the input or D
  ///   holds NaN or an infinity.
  /// - Complexity: O(N²·L).
  public func recurrentOutput(_ input: [Double], output c: [Double], feedthrough: Double = 0) throws -> [Double] {
    try validate(output: c, "recurrence")
    try StateSpaceValidation.requireFinite(input, operation: "recurrence", tensor: "the input sequence")
    try StateSpaceValidation.requireFinite([feedthrough], operation: "recurrence", tensor: "D")
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
      throw StateSpaceError.countMismatch(operation: what, tensor: "C", count: c.count, expected: order)
    }
    try StateSpaceValidation.requireFinite(c, operation: what, tensor: "C")
  }
}
