/// An in-place, unnormalized complex transform of `buffer.count` points: `.forward` (`e^(−2πi·jk/n)`) or
/// `.backward` (`e^(+2πi·jk/n)`), as a back end provides it for the lengths it supports.
typealias InPlaceComplexFFT<S: TensorScalar> = (_ buffer: UnsafeMutableBufferPointer<Complex<S>>, _ kind: FFTKind) -> Void

/// The discrete Fourier transform of any length `n` through a power-of-two transform (Bluestein's chirp-z
/// algorithm), for FFT back ends that only handle some lengths.
///
/// With `jk = (j² + k² − (k − j)²) / 2` and the chirp `w[t] = e^(−πi·t²/n)`, the forward transform is a
/// convolution:
///
/// ```
/// X[k] = Σⱼ x[j]·e^(−2πi·jk/n) = w[k] · Σⱼ (x[j]·w[j]) · conj(w[k − j])
/// ```
///
/// evaluated as a cyclic convolution of length `M ≥ 2n − 1`, a power of two, by two transforms of length `M`
/// and one of the filter `conj(w)`, which the plan computes once. The backward transform is
/// `conj(forward(conj(x)))`. Both are unnormalized, like FFTW's.
///
/// The plan holds only precomputed tables, so one plan may run on several threads at once; each call takes
/// its own workspace.
struct BluesteinFFT<S: TensorScalar>: Sendable {
  /// The number of points `n` of the transform.
  let length: Int
  /// The power-of-two length `M ≥ 2n − 1` of the inner transforms.
  let paddedLength: Int
  /// The chirp `w[j] = e^(−πi·j²/n)` for `j < n`.
  private let chirp: [Complex<S>]
  /// The forward transform of the filter `b[t] = conj(w[t])` (`t` taken cyclically), scaled by `1/M` so that
  /// the unnormalized inner backward transform completes the convolution.
  private let filterSpectrum: [Complex<S>]

  /// Precomputes the chirp and the filter spectrum for transforms of `length` points.
  ///
  /// - Parameters:
  ///   - length: The number of points `n ≥ 1`.
  ///   - minimumPaddedLength: The smallest inner length the back end supports (a power of two); the inner
  ///     length is the larger of this and the smallest power of two `≥ 2n − 1`.
  ///   - powerOfTwoFFT: The back end's in-place transform, called here with `.forward` on `M` points.
  /// - Complexity: O(M log M).
  init(length: Int, minimumPaddedLength: Int = 1, powerOfTwoFFT: InPlaceComplexFFT<S>) {
    let padded = Self.paddedLength(for: length, minimumPaddedLength: minimumPaddedLength)
    self.length = length
    self.paddedLength = padded
    // j² mod 2n keeps the angles small and exact in integers: e^(−πi·j²/n) has period 2n in j².
    let period = 2 * length
    let chirp = (0..<length).map { j -> Complex<S> in
      let phase = -Double.pi * Double((j * j) % period) / Double(length)
      return Complex(S(Double.cosine(phase)), S(Double.sine(phase)))
    }
    var filter = [Complex<S>](repeating: .zero, count: padded)
    filter[0] = chirp[0].conjugate
    for t in 1..<length {
      filter[t] = chirp[t].conjugate
      filter[padded - t] = chirp[t].conjugate
    }
    filter.withUnsafeMutableBufferPointer { powerOfTwoFFT($0, .forward) }
    let scale = 1 / S(padded)
    self.chirp = chirp
    self.filterSpectrum = filter.map { scale * $0 }
  }

  /// The inner length for `length` points: the smallest power of two `≥ 2·length − 1` and
  /// `≥ minimumPaddedLength`, so that a back end can create its inner plan before the Bluestein plan.
  ///
  /// - Parameters:
  ///   - length: The number of points `n ≥ 1`.
  ///   - minimumPaddedLength: The smallest inner length the back end supports, a power of two.
  /// - Returns: The inner transform length `M`.
  static func paddedLength(for length: Int, minimumPaddedLength: Int = 1) -> Int {
    precondition(length >= 1, "BluesteinFFT: length \(length) must be at least 1")
    precondition(
      minimumPaddedLength >= 1 && minimumPaddedLength & (minimumPaddedLength - 1) == 0,
      "BluesteinFFT: minimum padded length \(minimumPaddedLength) is not a power of two")
    var padded = minimumPaddedLength
    while padded < 2 * length - 1 { padded *= 2 }
    return padded
  }

  /// Transforms `length` points from `input` into `output` (which may be the same memory).
  ///
  /// - Parameters:
  ///   - input: `length` complex points.
  ///   - output: Room for `length` complex bins.
  ///   - kind: `.forward` or `.backward` (unnormalized).
  ///   - powerOfTwoFFT: The same back-end transform the plan was made with, run on `paddedLength` points.
  /// - Complexity: O(M log M) with `M = paddedLength`, plus one workspace of `M` points.
  func transform(
    _ input: UnsafePointer<Complex<S>>, _ output: UnsafeMutablePointer<Complex<S>>, kind: FFTKind,
    powerOfTwoFFT: InPlaceComplexFFT<S>
  ) {
    precondition(kind == .forward || kind == .backward, "BluesteinFFT: \(kind) is not a complex transform")
    let conjugated = kind == .backward
    let work = UnsafeMutableBufferPointer<Complex<S>>.allocate(capacity: paddedLength)
    defer { work.deallocate() }
    work.initialize(repeating: .zero)
    for j in 0..<length {
      let x = conjugated ? input[j].conjugate : input[j]
      work[j] = x * chirp[j]
    }
    powerOfTwoFFT(work, .forward)
    for k in 0..<paddedLength { work[k] *= filterSpectrum[k] }
    powerOfTwoFFT(work, .backward)
    for k in 0..<length {
      let bin = chirp[k] * work[k]
      output[k] = conjugated ? bin.conjugate : bin
    }
  }
}
