/// The discrete Fourier transform of a real sequence: the `n/2 + 1` non-redundant bins.
///
/// The remaining bins follow from Hermitian symmetry, `X[n − k] = conj(X[k])`.
///
/// - Parameter x: `n` real points.
/// - Returns: The bins `X[0...n/2]` (unnormalized).
/// - Complexity: O(n log n).
@specialized(where S == Float)
@specialized(where S == Double)
public func realFFT<S: TensorScalar>(_ x: [S]) -> [Complex<S>] {
  realFFT(x, length: x.count)
}

/// The inverse of ``realFFT(_:)``: `n` real points from the `n/2 + 1` bins of a Hermitian spectrum,
/// normalized by `1/n`.
///
/// The imaginary parts of bin 0 (and of bin `n/2` when `n` is even) are ignored, as for any real signal.
///
/// - Parameters:
///   - spectrum: The `n/2 + 1` bins.
///   - n: The number of real points; needed because `n` and `n + 1` share a bin count when `n` is even.
/// - Returns: The `n` real points.
/// - Complexity: O(n log n).
@specialized(where S == Float)
@specialized(where S == Double)
public func inverseRealFFT<S: TensorScalar>(_ spectrum: [Complex<S>], count n: Int) -> [S] {
  inverseRealFFT(spectrum, count: n, rows: n > 0 ? 1 : 0)
}

/// The real-input transform of every row of a batch: rows of `length` reals become rows of `length/2 + 1` bins.
///
/// - Parameters:
///   - x: The rows, one after the other; `x.count` must be a multiple of `length`.
///   - length: The real points per row.
/// - Returns: `x.count / length` rows of `length/2 + 1` bins.
/// - Complexity: O(x.count · log length), rows split across cores.
@specialized(where S == Float)
@specialized(where S == Double)
public func realFFT<S: TensorScalar>(_ x: [S], length: Int) -> [Complex<S>] {
  let rows = batchRows(count: x.count, rowLength: length, operation: "realFFT")
  let bins = length / 2 + 1
  var output = [Complex<S>](repeating: .zero, count: rows * bins)
  guard rows > 0 else { return output }
  x.withUnsafeBufferPointer { input in
    output.withUnsafeMutableBufferPointer { result in
      // Out-of-place real-to-complex transforms leave their input untouched.
      executeFFT(
        .realToComplex, scalar: S.self, length: length, rows: rows,
        input: UnsafeMutableRawPointer(mutating: input.baseAddress!), inputStride: length * MemoryLayout<S>.stride,
        output: UnsafeMutableRawPointer(result.baseAddress!), outputStride: bins * MemoryLayout<Complex<S>>.stride)
    }
  }
  return output
}

/// The inverse real transform of every row of a batch: `rows` rows of `n/2 + 1` bins become rows of `n` reals,
/// each normalized by `1/n`.
///
/// - Parameters:
///   - spectrum: `rows · (n/2 + 1)` bins, row after row.
///   - n: The real points per row.
///   - rows: The number of rows.
/// - Returns: `rows · n` reals.
/// - Complexity: O(rows · n log n), rows split across cores.
@specialized(where S == Float)
@specialized(where S == Double)
public func inverseRealFFT<S: TensorScalar>(_ spectrum: [Complex<S>], count n: Int, rows: Int) -> [S] {
  let bins = n / 2 + 1
  precondition(
    n >= 0 && rows >= 0 && spectrum.count == rows * (n > 0 ? bins : 0),
    "inverseRealFFT: \(spectrum.count) bins are not \(rows) row(s) of \(bins) bins for \(n) points")
  var output = [S](repeating: 0, count: rows * n)
  guard rows > 0, n > 0 else { return output }
  var scratch = spectrum  // complex-to-real transforms overwrite their input
  scratch.withUnsafeMutableBufferPointer { input in
    output.withUnsafeMutableBufferPointer { result in
      executeFFT(
        .complexToReal, scalar: S.self, length: n, rows: rows,
        input: UnsafeMutableRawPointer(input.baseAddress!), inputStride: bins * MemoryLayout<Complex<S>>.stride,
        output: UnsafeMutableRawPointer(result.baseAddress!), outputStride: n * MemoryLayout<S>.stride)
      scale(result, by: 1 / S(n))
    }
  }
  return output
}
