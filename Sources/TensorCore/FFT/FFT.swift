/// The discrete Fourier transform of a complex sequence of any length, unnormalized.
///
/// ```
/// X[k] = Σⱼ x[j] · e^(−2πi·jk/n)
/// ```
///
/// - Parameter x: `n` complex points.
/// - Returns: The `n` bins `X[0..<n]`.
/// - Complexity: O(n log n) for every `n` (FFTW), prime lengths included.
@specialized(where S == Float)
@specialized(where S == Double)
public func fft<S: TensorScalar>(_ x: [Complex<S>]) -> [Complex<S>] {
  fft(x, length: x.count)
}

/// The inverse discrete Fourier transform, normalized by `1/n` so that `inverseFFT(fft(x)) == x`.
///
/// ```
/// x[j] = (1/n) Σₖ X[k] · e^(+2πi·jk/n)
/// ```
///
/// - Parameter x: `n` complex bins.
/// - Returns: The `n` points.
/// - Complexity: O(n log n).
@specialized(where S == Float)
@specialized(where S == Double)
public func inverseFFT<S: TensorScalar>(_ x: [Complex<S>]) -> [Complex<S>] {
  inverseFFT(x, length: x.count)
}

/// The discrete Fourier transform of every row of a batch: `x.count / length` consecutive rows of `length`
/// points, each transformed independently (unnormalized).
///
/// - Parameters:
///   - x: The rows, one after the other; `x.count` must be a multiple of `length`.
///   - length: The points per row.
/// - Returns: The transformed rows in the same layout.
/// - Complexity: O(x.count · log length), rows split across cores.
@specialized(where S == Float)
@specialized(where S == Double)
public func fft<S: TensorScalar>(_ x: [Complex<S>], length: Int) -> [Complex<S>] {
  complexTransform(x, length: length, kind: .forward, operation: "fft")
}

/// The inverse transform of every row of a batch, each normalized by `1/length`.
///
/// - Parameters:
///   - x: The rows of bins, one after the other; `x.count` must be a multiple of `length`.
///   - length: The bins per row.
/// - Returns: The rows of points in the same layout.
/// - Complexity: O(x.count · log length), rows split across cores.
@specialized(where S == Float)
@specialized(where S == Double)
public func inverseFFT<S: TensorScalar>(_ x: [Complex<S>], length: Int) -> [Complex<S>] {
  complexTransform(x, length: length, kind: .backward, operation: "inverseFFT")
}

/// A complex-to-complex batched transform; the backward one is scaled by `1/length`.
private func complexTransform<S: TensorScalar>(
  _ x: [Complex<S>], length: Int, kind: FFTKind, operation: String
) -> [Complex<S>] {
  let rows = batchRows(count: x.count, rowLength: length, operation: operation)
  var output = [Complex<S>](repeating: .zero, count: x.count)
  guard rows > 0 else { return output }
  let rowBytes = length * MemoryLayout<Complex<S>>.stride
  x.withUnsafeBufferPointer { input in
    output.withUnsafeMutableBufferPointer { result in
      // Out-of-place complex transforms leave their input untouched.
      executeFFT(
        kind, scalar: S.self, length: length, rows: rows,
        input: UnsafeMutableRawPointer(mutating: input.baseAddress!), inputStride: rowBytes,
        output: UnsafeMutableRawPointer(result.baseAddress!), outputStride: rowBytes)
      if kind == .backward {
        UnsafeMutableRawBufferPointer(result).withMemoryRebound(to: S.self) { scale($0, by: 1 / S(length)) }
      }
    }
  }
  return output
}
