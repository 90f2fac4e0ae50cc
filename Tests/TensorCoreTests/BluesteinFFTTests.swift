import Foundation
import TestSupport
import Testing

@testable import TensorCore

/// The building blocks of FFT back ends without FFTW (Accelerate): Bluestein's algorithm for any length and
/// real transforms through complex ones, run here with FFTW's power-of-two `fft` as the inner transform and
/// checked against the naive DFT and FFTW's own real transforms.
@Suite("Bluestein FFT and real transforms through complex ones")
struct BluesteinFFTTests {
  static let lengths = [1, 2, 7, 60, 97, 1000]

  /// FFTW's unnormalized transform in place: `fft` forward, `conj(fft(conj(x)))` backward.
  static func fftwInPlace<S: TensorScalar>(_ buffer: UnsafeMutableBufferPointer<Complex<S>>, _ kind: FFTKind) {
    let x = Array(buffer)
    let y = kind == .forward ? fft(x) : fft(x.map(\.conjugate)).map(\.conjugate)
    for i in y.indices { buffer[i] = y[i] }
  }

  /// The inner transform, refusing anything but a power of two so that Bluestein's padding is exercised.
  static func powerOfTwoOnly<S: TensorScalar>(_ buffer: UnsafeMutableBufferPointer<Complex<S>>, _ kind: FFTKind) {
    precondition(buffer.count & (buffer.count - 1) == 0, "inner transform called with \(buffer.count) points")
    fftwInPlace(buffer, kind)
  }

  func randomComplex<S: TensorScalar>(_ count: Int, seed: UInt64, as type: S.Type) -> [Complex<S>] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Complex(S(generator.nextNormal()), S(generator.nextNormal())) }
  }

  func bluestein<S: TensorScalar>(
    _ x: [Complex<S>], kind: FFTKind, minimumPaddedLength: Int = 1
  ) -> (result: [Complex<S>], paddedLength: Int) {
    let plan = BluesteinFFT<S>(
      length: x.count, minimumPaddedLength: minimumPaddedLength, powerOfTwoFFT: Self.powerOfTwoOnly)
    var result = [Complex<S>](repeating: .zero, count: x.count)
    x.withUnsafeBufferPointer { input in
      result.withUnsafeMutableBufferPointer { output in
        plan.transform(input.baseAddress!, output.baseAddress!, kind: kind, powerOfTwoFFT: Self.powerOfTwoOnly)
      }
    }
    return (result, plan.paddedLength)
  }

  /// Forward and backward against the naive DFT, errors relative to the largest reference magnitude.
  func checkAgainstNaiveDFT<S: TensorScalar>(_ n: Int, as type: S.Type, tolerance: Double) {
    let x = randomComplex(n, seed: UInt64(7 * n + 1), as: S.self)
    let forward = bluestein(x, kind: .forward)
    let expected = naiveDFT(x)
    let scale = expected.map { Double($0.length) }.max() ?? 1
    #expect(maxComplexDifference(forward.result, expected) <= tolerance * scale, "forward n=\(n) \(S.dtypeName)")
    // The unnormalized backward transform is n times the normalized inverse.
    let backward = bluestein(x, kind: .backward).result.map { $0 * Complex(S(1) / S(n)) }
    #expect(
      maxComplexDifference(backward, naiveDFT(x, inverse: true)) <= tolerance * scale / Double(n),
      "backward n=\(n) \(S.dtypeName)")
    #expect(forward.paddedLength >= 2 * n - 1 && forward.paddedLength < max(2, 4 * n - 2))
  }

  @Test(arguments: lengths)
  func doubleMatchesNaiveDFT(n: Int) { checkAgainstNaiveDFT(n, as: Double.self, tolerance: 1e-14) }

  @Test(arguments: lengths)
  func floatMatchesNaiveDFT(n: Int) { checkAgainstNaiveDFT(n, as: Float.self, tolerance: 1e-6) }

  @Test func pureToneLandsInOneBin() {
    // x[j] = e^(2πi·5j/97)  →  X[5] = 97 and zero elsewhere: pins the sign convention on a prime length.
    let n = 97
    let x = (0..<n).map { Complex<Double>(unitPhase: 2 * Double.pi * 5 * Double($0) / Double(n)) }
    var expected = [Complex<Double>](repeating: .zero, count: n)
    expected[5] = Complex(Double(n))
    #expect(maxComplexDifference(bluestein(x, kind: .forward).result, expected) < 1e-11)
  }

  @Test(arguments: [1, 2, 3, 7])
  func minimumPaddedLengthIsHonoured(n: Int) {
    // Accelerate's smallest power-of-two DFT has 8 points: short lengths must pad up to it and stay exact.
    let x = randomComplex(n, seed: 99, as: Double.self)
    let (result, padded) = bluestein(x, kind: .forward, minimumPaddedLength: 8)
    #expect(padded == max(8, n == 7 ? 16 : 8))
    #expect(maxComplexDifference(result, naiveDFT(x)) < 1e-13 * Double(n))
  }

  @Test func outputMayAliasInput() {
    let x = randomComplex(60, seed: 5, as: Double.self)
    let plan = BluesteinFFT<Double>(length: 60, powerOfTwoFFT: Self.powerOfTwoOnly)
    var buffer = x
    buffer.withUnsafeMutableBufferPointer { pointer in
      plan.transform(pointer.baseAddress!, pointer.baseAddress!, kind: .forward, powerOfTwoFFT: Self.powerOfTwoOnly)
    }
    #expect(maxComplexDifference(buffer, naiveDFT(x)) < 1e-11)
  }

  // MARK: Real transforms through complex ones

  func checkRealThroughComplex<S: TensorScalar>(_ n: Int, as type: S.Type, tolerance: Double) {
    var generator = SeededGenerator(seed: UInt64(300 + n))
    let x = (0..<n).map { _ in S(generator.nextNormal()) }
    // Forward through Bluestein (any n), compared with FFTW's real-to-complex plan.
    let plan = BluesteinFFT<S>(length: n, powerOfTwoFFT: Self.powerOfTwoOnly)
    let bluesteinInPlace: InPlaceComplexFFT<S> = { buffer, kind in
      plan.transform(buffer.baseAddress!, buffer.baseAddress!, kind: kind, powerOfTwoFFT: Self.powerOfTwoOnly)
    }
    var spectrum = [Complex<S>](repeating: .zero, count: n / 2 + 1)
    x.withUnsafeBufferPointer { input in
      spectrum.withUnsafeMutableBufferPointer { output in
        RealFFTThroughComplex.forward(
          input.baseAddress!, count: n, into: output.baseAddress!, complexFFT: bluesteinInPlace)
      }
    }
    let expected = realFFT(x)
    let scale = expected.map { Double($0.length) }.max() ?? 1
    #expect(maxComplexDifference(spectrum, expected) <= tolerance * scale, "realToComplex n=\(n) \(S.dtypeName)")

    // Backward: garbage in the imaginary parts FFTW ignores must be ignored here too.
    var bins = expected
    bins[0].imaginary += 3
    if n % 2 == 0 { bins[n / 2].imaginary -= 2 }
    var back = [S](repeating: 0, count: n)
    bins.withUnsafeBufferPointer { input in
      back.withUnsafeMutableBufferPointer { output in
        RealFFTThroughComplex.backward(
          input.baseAddress!, count: n, into: output.baseAddress!, complexFFT: bluesteinInPlace)
      }
    }
    let reference = inverseRealFFT(bins, count: n).map { $0 * S(n) }  // FFTW c2r, unnormalized
    let referenceScale = reference.map { Double(abs($0)) }.max() ?? 1
    #expect(
      discrepancy(back, reference, absoluteTolerance: tolerance * referenceScale).isWithinTolerance,
      "complexToReal n=\(n) \(S.dtypeName)")
    #expect(
      discrepancy(back.map { $0 / S(n) }, x, absoluteTolerance: tolerance * scale).isWithinTolerance,
      "real round trip n=\(n) \(S.dtypeName)")
  }

  @Test(arguments: lengths)
  func realDoubleThroughComplex(n: Int) { checkRealThroughComplex(n, as: Double.self, tolerance: 1e-13) }

  @Test(arguments: lengths)
  func realFloatThroughComplex(n: Int) { checkRealThroughComplex(n, as: Float.self, tolerance: 2e-6) }
}
