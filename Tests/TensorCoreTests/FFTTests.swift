import Foundation
import TensorCore
import TestSupport
import Testing

@Suite("FFT against the naive DFT, round trips, batches, threads")
struct FFTTests {
  static let lengths = [1, 2, 7, 16, 60, 97]

  func randomComplex<S: TensorScalar>(_ count: Int, seed: UInt64, as type: S.Type) -> [Complex<S>] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in Complex(S(generator.nextNormal()), S(generator.nextNormal())) }
  }

  func randomReal<S: TensorScalar>(_ count: Int, seed: UInt64, as type: S.Type) -> [S] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in S(generator.nextNormal()) }
  }

  func checkComplex<S: TensorScalar>(_ n: Int, as type: S.Type, tolerance: Double) {
    let x = randomComplex(n, seed: UInt64(n), as: S.self)
    let spectrum = fft(x)
    #expect(maxComplexDifference(spectrum, naiveDFT(x)) < tolerance * Double(n), "fft n=\(n) \(S.dtypeName)")
    #expect(maxComplexDifference(inverseFFT(x), naiveDFT(x, inverse: true)) < tolerance, "inverse n=\(n)")
    #expect(maxComplexDifference(inverseFFT(spectrum), x) < tolerance, "round trip n=\(n)")
  }

  func checkReal<S: TensorScalar>(_ n: Int, as type: S.Type, tolerance: Double) {
    let x = randomReal(n, seed: UInt64(100 + n), as: S.self)
    let spectrum = realFFT(x)
    #expect(spectrum.count == n / 2 + 1)
    let full = naiveDFT(x.map { Complex($0) })
    #expect(maxComplexDifference(spectrum, Array(full[0...(n / 2)])) < tolerance * Double(n), "realFFT n=\(n)")
    let back = inverseRealFFT(spectrum, count: n)
    #expect(discrepancy(back, x, absoluteTolerance: tolerance).isWithinTolerance, "real round trip n=\(n)")
  }

  @Test(arguments: lengths)
  func complexDouble(n: Int) { checkComplex(n, as: Double.self, tolerance: 1e-13) }

  @Test(arguments: lengths)
  func complexFloat(n: Int) { checkComplex(n, as: Float.self, tolerance: 2e-6) }

  @Test(arguments: lengths)
  func realDouble(n: Int) { checkReal(n, as: Double.self, tolerance: 1e-13) }

  @Test(arguments: lengths)
  func realFloat(n: Int) { checkReal(n, as: Float.self, tolerance: 2e-6) }

  @Test func pureToneLandsInOneBin() {
    // x[j] = e^(2πi·3j/16)  →  X[3] = 16, every other bin 0: pins the sign convention of both transforms.
    let n = 16
    let x = (0..<n).map { Complex<Double>(unitPhase: 2 * Double.pi * 3 * Double($0) / Double(n)) }
    var expected = [Complex<Double>](repeating: .zero, count: n)
    expected[3] = Complex(16)
    #expect(maxComplexDifference(fft(x), expected) < 1e-13)
    #expect(maxComplexDifference(naiveDFT(x), expected) < 1e-12)
  }

  @Test(arguments: [7, 16, 97])
  func batchedRowsMatchSingleTransforms(length: Int) {
    let rows = 5
    let x = randomComplex(rows * length, seed: 9, as: Float.self)
    let batched = fft(x, length: length)
    let inverse = inverseFFT(x, length: length)
    let real = randomReal(rows * length, seed: 10, as: Double.self)
    let realBatched = realFFT(real, length: length)
    let bins = length / 2 + 1
    for r in 0..<rows {
      let row = Array(x[(r * length)..<((r + 1) * length)])
      // Rows at unaligned offsets may run a different FFTW code path: equal up to rounding, not bitwise.
      #expect(maxComplexDifference(Array(batched[(r * length)..<((r + 1) * length)]), fft(row)) < 1e-5)
      #expect(maxComplexDifference(Array(inverse[(r * length)..<((r + 1) * length)]), inverseFFT(row)) < 1e-6)
      let realRow = Array(real[(r * length)..<((r + 1) * length)])
      #expect(maxComplexDifference(Array(realBatched[(r * bins)..<((r + 1) * bins)]), realFFT(realRow)) < 1e-12)
    }
    let realBack = inverseRealFFT(realBatched, count: length, rows: rows)
    #expect(discrepancy(realBack, real, absoluteTolerance: 1e-13).isWithinTolerance)
  }

  @Test func emptyInputGivesEmptyOutput() {
    #expect(fft([Complex<Double>]()).isEmpty)
    #expect(realFFT([Float]()).isEmpty)
    #expect(inverseRealFFT([Complex<Float>](), count: 0).isEmpty)
  }

  @Test func concurrentUseGivesTheSameAnswer() async throws {
    let x = randomComplex(97 * 8, seed: 21, as: Double.self)
    let reference = fft(x, length: 97)
    let lengths = [97, 64, 60, 97, 64, 60, 97, 64]
    let results = await withTaskGroup(of: (Int, [Complex<Double>]).self) { group in
      for (task, length) in lengths.enumerated() {
        group.addTask {
          var last: [Complex<Double>] = []
          for _ in 0..<20 { last = fft(Array(x.prefix(length * 4)), length: length) }
          return (task, last)
        }
      }
      var collected: [Int: [Complex<Double>]] = [:]
      for await (task, result) in group { collected[task] = result }
      return collected
    }
    for (task, length) in lengths.enumerated() {
      let expected = length == 97 ? Array(reference.prefix(length * 4)) : fft(Array(x.prefix(length * 4)), length: length)
      let result = try #require(results[task])
      #expect(maxComplexDifference(result, expected) < 1e-12, "task \(task), length \(length)")
    }
  }
}
