import TensorCore

/// The RTF convolution kernel by FFT, its gradient, and the companion recurrence.
public enum RTFKernel {
  /// The kernels of H channels: `k = irfft(rfft(b̃ padded)/rfft(a padded) + h₀, n = L)`.
  ///
  /// Evaluating H at the L roots of unity aliases the impulse response (`Σ_m h_{t+mL}`); with the corrected
  /// numerator the aliasing telescopes to the truncated response except at `t = 0`, which receives `h_L`
  /// (FFT wrap-around). `correctingWrapAround` sets `k₀ = h₀`, so that the kernel equals the recurrence.
  ///
  /// - Parameters:
  ///   - channels: The H transfer functions (all of order n < L).
  ///   - length: L.
  ///   - correctingWrapAround: Whether to remove `h_L` from tap 0.
  /// - Returns: `H × L` taps, row-major.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when L is not above the order or `H × L` overflows
  ///   `Int`; ``StateSpaceError`` when the channels are empty or differ in order;
  ///   ``StateSpaceError/numericalFailure(operation:reason:)`` when the denominator vanishes at a root of unity (a pole on
  ///   the unit circle) or a tap overflows (a pole within rounding of it).
  /// - Complexity: O(H·L log L), independent of n.
  public static func kernels(
    _ channels: [TransferFunction], length: Int, correctingWrapAround: Bool = false
  ) throws -> [Double] {
    let spectra = try spectra(channels, length: length)
    let bins = length / 2 + 1
    // B̂/Â + h₀ on plain doubles: the generic complex operators are not specialized across modules.
    var response = [Complex<Double>](repeating: .zero, count: channels.count * bins)
    for (h, channel) in channels.enumerated() {
      for k in 0..<bins {
        let index = h * bins + k
        let (b, a) = (spectra.numerator[index], spectra.denominator[index])
        let inverse = 1 / (a.real * a.real + a.imaginary * a.imaginary)
        response[index] = Complex(
          (b.real * a.real + b.imaginary * a.imaginary) * inverse + channel.feedthrough,
          (b.imaginary * a.real - b.real * a.imaginary) * inverse)
      }
    }
    var kernel = inverseRealFFT(response, count: length, rows: channels.count)
    if correctingWrapAround {
      for (h, channel) in channels.enumerated() { kernel[h * length] = channel.feedthrough }
    }
    try StateSpaceValidation.requireFiniteResult(kernel, operation: "RTF", tensor: "the kernel")
    return kernel
  }

  /// The spectra of the zero-padded denominators `[1, a]` and numerators `[0, b]`.
  static func spectra(_ channels: [TransferFunction], length: Int) throws -> (
    denominator: [Complex<Double>], numerator: [Complex<Double>]
  ) {
    guard let order = channels.first?.order, channels.allSatisfy({ $0.order == order }) else {
      throw StateSpaceError.countsDisagree(operation: "RTF", tensors: channels.indices.map { "channel \($0)" }, counts: channels.map(\.order), requirement: "there must be at least one channel, all of one order")
    }
    guard length > order else {
      throw StateSpaceError.invalidParameter(operation: "RTF", parameter: "length L", value: "\(length)", requirement: "greater than the order n = \(order)")
    }
    let count = try StateSpaceValidation.product([channels.count, length], operation: "RTF")
    var denominators = [Double](repeating: 0, count: count)
    var numerators = [Double](repeating: 0, count: count)
    for (h, channel) in channels.enumerated() {
      denominators[h * length] = 1
      for k in 0..<order {
        denominators[h * length + k + 1] = channel.denominator[k]
        numerators[h * length + k + 1] = channel.numerator[k]
      }
    }
    let denominator = realFFT(denominators, length: length)
    guard denominator.allSatisfy({ $0.real * $0.real + $0.imaginary * $0.imaginary > 0 }) else {
      throw StateSpaceError.numericalFailure(operation: "RTF", reason: "the denominator vanishes at a root of unity of order \(length)")
    }
    return (denominator, realFFT(numerators, length: length))
  }

  /// The gradient of `Σ_t g_t k_t` for one channel (uncorrected kernel) with respect to a, b and h₀.
  ///
  /// With `ĝ = rfft(g)`: `∂/∂b_m = irfft(ĝ/conj(Â))_m`, `∂/∂a_m = −irfft(ĝ·conj(B̂/Â²))_m`, `∂/∂h₀ = g₀`.
  ///
  /// - Parameters:
  ///   - channel: The transfer function.
  ///   - outputGradient: g, L values.
  /// - Returns: The gradients with respect to a (n), b (n) and h₀.
  /// - Throws: As ``kernels(_:length:correctingWrapAround:)``, and ``StateSpaceError`` when
  ///   `outputGradient` holds NaN or an infinity (the transform would spread it into every gradient).
  /// - Complexity: O(L log L).
  public static func gradients(
    of channel: TransferFunction, outputGradient: [Double]
  ) throws -> TransferFunctionGradients {
    try StateSpaceValidation.requireFinite(outputGradient, operation: "RTF gradient", tensor: "the upstream gradient")
    let length = outputGradient.count
    let spectra = try spectra([channel], length: length)
    let g = realFFT(outputGradient)
    var byNumerator = [Complex<Double>](repeating: .zero, count: g.count)
    var byDenominator = [Complex<Double>](repeating: .zero, count: g.count)
    for k in 0..<g.count {
      let a = spectra.denominator[k]
      byNumerator[k] = g[k] / a.conjugate
      byDenominator[k] = -(g[k] * (spectra.numerator[k] / (a * a)).conjugate)
    }
    let n = channel.order
    let gradB = Array(inverseRealFFT(byNumerator, count: length)[1...n])
    let gradA = Array(inverseRealFFT(byDenominator, count: length)[1...n])
    return TransferFunctionGradients(denominator: gradA, numerator: gradB, feedthrough: outputGradient[0])
  }

  /// The companion recurrence on one sequence: `y_t = ⟨c, x⟩ + h₀u_t`, then `x ← shift(x)`,
  /// `x₀ ← −⟨a, x_old⟩ + u_t`; O(n) per step.
  ///
  /// - Parameters:
  ///   - channel: The transfer function (its denominator and feed-through).
  ///   - weights: c, e.g. ``TransferFunction/recurrentOutputWeights(length:)``.
  ///   - input: The sequence u.
  /// - Returns: y, one value per input.
  /// - Throws: ``StateSpaceError`` when there are not n finite weights or the input holds
  ///   NaN or an infinity.
  /// - Complexity: O(n·L).
  public static func recurrentOutput(of channel: TransferFunction, weights: [Double], input: [Double]) throws
    -> [Double]
  {
    let n = channel.order
    guard weights.count == n else {
      throw StateSpaceError.countMismatch(operation: "RTF recurrence", tensor: "the output weights c", count: weights.count, expected: n)
    }
    try StateSpaceValidation.requireFinite(weights, operation: "RTF recurrence", tensor: "the output weights c")
    try StateSpaceValidation.requireFinite(input, operation: "RTF recurrence", tensor: "the input sequence")
    var state = [Double](repeating: 0, count: n)
    return input.map { u in
      var y = channel.feedthrough * u
      var feedback = 0.0
      for k in 0..<n {
        y += weights[k] * state[k]
        feedback += channel.denominator[k] * state[k]
      }
      for k in stride(from: n - 1, to: 0, by: -1) { state[k] = state[k - 1] }
      state[0] = u - feedback
      return y
    }
  }
}
