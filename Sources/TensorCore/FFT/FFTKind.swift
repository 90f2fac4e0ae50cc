/// The kind of a one-dimensional discrete Fourier transform, as the FFT back end plans it.
public enum FFTKind: Hashable, Sendable {
  /// Complex to complex, `X[k] = Σ x[j]·e^(−2πi·jk/n)`.
  case forward
  /// Complex to complex, `x[j] = Σ X[k]·e^(+2πi·jk/n)` (unnormalized).
  case backward
  /// Real input of `n` points to the `n/2 + 1` non-redundant complex bins.
  case realToComplex
  /// The `n/2 + 1` bins of a Hermitian spectrum back to `n` real points (unnormalized).
  case complexToReal
}
