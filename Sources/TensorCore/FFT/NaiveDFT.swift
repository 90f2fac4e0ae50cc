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
  return (0..<n).map { k in
    var sum = Complex<Double>.zero
    for (j, value) in x.enumerated() {
      // jk mod n keeps the angle small, so the twiddle factor stays accurate for long inputs.
      let angle = sign * 2 * Double.pi * Double((j * k) % n) / Double(n)
      sum += Complex(Double(value.real), Double(value.imaginary)) * Complex(unitPhase: angle)
    }
    let factor = inverse ? 1 / Double(n) : 1
    return Complex(S(sum.real * factor), S(sum.imaginary * factor))
  }
}
