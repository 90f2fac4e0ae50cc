import TensorCore

/// The logarithm of softmax, `xᵢ/T − log Σⱼ e^{xⱼ/T}`, computed without forming the probabilities.
///
/// It is not a distribution but its logarithm: masked (`-inf`) scores give `-inf`, and an all-`-inf` row gives
/// `-inf` everywhere (the logarithm of the all-zero row that ``Softmax`` returns). Its Jacobian-vector
/// product is `(u − p·Σu)/T` with `p = e^{output}`; masked scores get gradient 0.
public struct LogSoftmax: ProbabilityMap {
  /// The temperature `T > 0` that divides the scores.
  public let temperature: Double

  /// Creates a log-softmax with the given temperature.
  ///
  /// - Parameter temperature: `T`, finite and positive (default 1).
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` when `temperature` is not finite and positive.
  public init(temperature: Double = 1) throws {
    self.temperature = try Softmax(temperature: temperature).temperature
  }

  /// The log-softmax of every row.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    let inverseTemperature = S(1 / temperature)
    try RowDriver.map(scores, length: n, into: output) { _, x, out, _ in
      RowKernels.logSoftmax(x, inverseTemperature: inverseTemperature, into: out)
    }
  }

  /// `(u − e^{output}·Σu)/T`, 0 at masked scores.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    let factor = S(1 / temperature)
    try RowDriver.map(output, gradient, length: n, into: result) { _, logP, u, out in
      RowKernels.logSoftmaxBackward(
        logProbabilities: logP, gradient: u, factor: factor.isFinite ? factor : 1, into: out)
      Softmax.applyOverflowingFactor(factor, to: out)
    }
  }
}
