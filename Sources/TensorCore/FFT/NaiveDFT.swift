/// The discrete Fourier transform by its definition, accumulated in `Double`: the reference that the FFT is
/// checked against.
///
/// ```
/// X[k] = Σⱼ x[j] · e^(∓2πi·jk/n)       (− forward, + inverse; the inverse is scaled by 1/n)
/// ```
///
/// - Parameters:
///   - x: `n` complex points.
///   - inverse: Whether to compute the inverse transform (with the `1/n` of ``inverseFFT(_:)``).
/// - Returns: The `n` transformed values.
/// - Complexity: O(n²); use ``fft(_:)`` for anything but checks.
public func naiveDFT<S: TensorScalar>(_ x: [Complex<S>], inverse: Bool = false) -> [Complex<S>] {
  let n = x.count
  let sign = inverse ? 1.0 : -1.0
  // e^(∓2πi·t/n) for t = jk mod n: n sines and cosines instead of n², and small, accurate angles.
  let twiddles = (0..<n).map { Complex<Double>(unitPhase: sign * 2 * Double.pi * Double($0) / Double(n)) }
  let values = x.map { Complex(Double($0.real), Double($0.imaginary)) }
  let factor = inverse ? 1 / Double(max(n, 1)) : 1
  return (0..<n).map { k in
    var sum = Complex<Double>.zero
    var t = 0
    for value in values {
      sum += value * twiddles[t]
      t += k
      if t >= n { t -= n }
    }
    return Complex(S(sum.real * factor), S(sum.imaginary * factor))
  }
}
