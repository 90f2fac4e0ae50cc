/// Real-input transforms computed through a complex transform of the same length, with FFTW's conventions,
/// for FFT back ends that have no real plan of every length.
///
/// ```
/// realToComplex:  X[k] = Σⱼ x[j]·e^(−2πi·jk/n),  k = 0 … n/2           (unnormalized)
/// complexToReal:  x[j] = Σₖ Y[k]·e^(+2πi·jk/n),  Y[k] = X[k] (k ≤ n/2), conj(X[n − k]) (k > n/2)
/// ```
///
/// As in FFTW, the complex-to-real direction ignores the imaginary parts of bin 0 and, for even `n`, of bin
/// `n/2`: it returns the real part of the transform of the Hermitian extension, to which those parts contribute
/// only imaginary terms.
enum RealFFTThroughComplex {
  /// The `n/2 + 1` bins of `n` real points.
  ///
  /// - Parameters:
  ///   - input: `n` reals.
  ///   - n: The number of points, at least 1.
  ///   - output: Room for `n/2 + 1` complex bins.
  ///   - complexFFT: An in-place complex transform of `n` points.
  /// - Complexity: One complex transform of `n` points and a workspace of `n` complex values.
  static func forward<S: TensorScalar>(
    _ input: UnsafePointer<S>, count n: Int, into output: UnsafeMutablePointer<Complex<S>>,
    complexFFT: InPlaceComplexFFT<S>
  ) {
    let work = UnsafeMutableBufferPointer<Complex<S>>.allocate(capacity: n)
    defer { work.deallocate() }
    for j in 0..<n { work.initializeElement(at: j, to: Complex(input[j])) }
    complexFFT(work, .forward)
    for k in 0...(n / 2) { output[k] = work[k] }
  }

  /// `n` real points from the `n/2 + 1` bins of a Hermitian spectrum (unnormalized).
  ///
  /// - Parameters:
  ///   - input: `n/2 + 1` complex bins; not modified.
  ///   - n: The number of points, at least 1.
  ///   - output: Room for `n` reals.
  ///   - complexFFT: An in-place complex transform of `n` points.
  /// - Complexity: One complex transform of `n` points and a workspace of `n` complex values.
  static func backward<S: TensorScalar>(
    _ input: UnsafePointer<Complex<S>>, count n: Int, into output: UnsafeMutablePointer<S>,
    complexFFT: InPlaceComplexFFT<S>
  ) {
    let work = UnsafeMutableBufferPointer<Complex<S>>.allocate(capacity: n)
    defer { work.deallocate() }
    for k in 0..<n { work.initializeElement(at: k, to: k <= n / 2 ? input[k] : input[n - k].conjugate) }
    complexFFT(work, .backward)
    for j in 0..<n { output[j] = work[j].real }
  }
}
