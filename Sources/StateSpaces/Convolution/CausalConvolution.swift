import TensorCore

/// Causal long convolution by FFT: `y[b, h, t] = Σ_{j ≤ t} K[h, j] u[b, h, t − j] + D[h] u[b, h, t]`.
///
/// Both sequences are zero-padded to `2L` before the transform, so the circular product of the FFT holds
/// no wrap-around: `y = irfft(rfft(K, 2L) · rfft(u, 2L))[:L] + D·u`.
///
/// - Parameters:
///   - input: `batch × channels × length` values, row-major.
///   - kernel: `channels × length` taps.
///   - channels: H.
///   - length: L (at least 1).
///   - feedthrough: D per channel (empty: zero).
/// - Returns: `batch × channels × length` outputs.
/// - Throws: ``StateSpaceError`` when the sizes do not fit together or a value is NaN or
///   infinite (the transform would spread one NaN over every output of its row);
///   ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when `2L` or `channels × L` overflows `Int`.
/// - Complexity: O(batch·H·L log L).
public func causalConvolution(
  _ input: [Double], kernel: [Double], channels: Int, length: Int, feedthrough: [Double] = []
) throws -> [Double] {
  guard length >= 1, channels >= 1 else {
    throw StateSpaceError.invalidParameter(operation: "causal convolution", parameter: "channels × length", value: "\(channels) × \(length)", requirement: "at least 1 × 1")
  }
  let taps = try StateSpaceValidation.product([channels, length, 2], operation: "causal convolution") / 2
  guard kernel.count == taps, !input.isEmpty, input.count % taps == 0 else {
    throw StateSpaceError.countsDisagree(
      operation: "causal convolution", tensors: ["the input", "the kernel"], counts: [input.count, kernel.count],
      requirement: "the kernel must have channels × L = \(taps) taps and the input a non-zero multiple of that")
  }
  guard feedthrough.isEmpty || feedthrough.count == channels else {
    throw StateSpaceError.countMismatch(
      operation: "causal convolution", tensor: "D (feed-through)", count: feedthrough.count, expected: channels)
  }
  try StateSpaceValidation.requireFinite(input, operation: "causal convolution", tensor: "the input")
  try StateSpaceValidation.requireFinite(kernel, operation: "causal convolution", tensor: "the kernel")
  try StateSpaceValidation.requireFinite(feedthrough, operation: "causal convolution", tensor: "D")
  let rows = input.count / length
  let padded = 2 * length
  let bins = padded / 2 + 1
  let kernelSpectrum = realFFT(zeroPadded(kernel, rows: channels, from: length, to: padded), length: padded)
  var spectrum = realFFT(zeroPadded(input, rows: rows, from: length, to: padded), length: padded)
  for row in 0..<rows {
    let channel = row % channels
    for k in 0..<bins { spectrum[row * bins + k] *= kernelSpectrum[channel * bins + k] }
  }
  let full = inverseRealFFT(spectrum, count: padded, rows: rows)
  var output = [Double](repeating: 0, count: input.count)
  for row in 0..<rows {
    let d = feedthrough.isEmpty ? 0 : feedthrough[row % channels]
    for t in 0..<length { output[row * length + t] = full[row * padded + t] + d * input[row * length + t] }
  }
  return output
}

/// Rows of `from` values copied into rows of `to ≥ from` values, the rest zero.
func zeroPadded(_ values: [Double], rows: Int, from: Int, to: Int) -> [Double] {
  var padded = [Double](repeating: 0, count: rows * to)
  for row in 0..<rows {
    for t in 0..<from { padded[row * to + t] = values[row * from + t] }
  }
  return padded
}
