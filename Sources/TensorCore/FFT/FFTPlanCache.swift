import Foundation

/// The process-wide cache of FFT plans, one per (kind, length, precision, alignment).
///
/// FFTW's planner is not thread-safe, so every plan is created under one lock; plans then live for the rest of
/// the process and are executed through FFTW's new-array functions, which may run concurrently.
final class FFTPlanCache: @unchecked Sendable {
  private struct Key: Hashable {
    let kind: FFTKind
    let length: Int
    let precision: String
    let aligned: Bool
  }

  private let lock = NSLock()
  private var plans: [Key: OpaquePointer] = [:]

  /// The cache every transform shares.
  static let shared = FFTPlanCache()

  /// The cached plan for one transform of `length` points, created on first use.
  func plan<S: TensorScalar>(_ kind: FFTKind, length: Int, aligned: Bool, scalar: S.Type) -> OpaquePointer {
    let key = Key(kind: kind, length: length, precision: S.dtypeName, aligned: aligned)
    return lock.withLock {
      if let plan = plans[key] { return plan }
      guard let plan = S.fftwPlan(kind, length: length, aligned: aligned) else {
        preconditionFailure("FFT: no FFT back end for \(kind) of length \(length) in \(S.dtypeName) on this platform")
      }
      plans[key] = plan
      return plan
    }
  }
}

/// Runs `rows` one-dimensional transforms of `length` points, row `r` reading `input + r·inputStride` bytes
/// and writing `output + r·outputStride` bytes, split across cores.
///
/// - Complexity: O(rows · length · log length).
func executeFFT<S: TensorScalar>(
  _ kind: FFTKind, scalar: S.Type, length: Int, rows: Int,
  input: UnsafeMutableRawPointer, inputStride: Int, output: UnsafeMutableRawPointer, outputStride: Int
) {
  guard rows > 0, length > 0 else { return }
  let aligned =
    S.fftwIsAligned(input) && S.fftwIsAligned(output)
    && (rows == 1 || (S.fftwIsAligned(input + inputStride) && S.fftwIsAligned(output + outputStride)))
  let plan = FFTPlanCache.shared.plan(kind, length: length, aligned: aligned, scalar: S.self)
  parallelFor(rows, minimumChunk: max(1, 16_384 / length)) { range in
    for row in range {
      S.fftwExecute(plan, kind, input: input + row * inputStride, output: output + row * outputStride)
    }
  }
}

/// The number of rows of a batch of `count` elements in rows of `rowLength`, stopping on a ragged batch.
func batchRows(count: Int, rowLength: Int, operation: String) -> Int {
  guard count > 0 else { return 0 }
  precondition(
    rowLength > 0 && count % rowLength == 0,
    "\(operation): \(count) elements do not split into rows of length \(rowLength)")
  return count / rowLength
}

/// Multiplies every real in `buffer` by `factor` (the `1/n` of the inverse transforms).
func scale<S: TensorScalar>(_ buffer: UnsafeMutableBufferPointer<S>, by factor: S) {
  for i in buffer.indices { buffer[i] *= factor }
}
