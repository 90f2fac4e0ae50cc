import CKernels
import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// The exact GELU and its derivative in Double from `erfc` (no cancellation in either tail).
private func exactReference(_ x: Double) -> (value: Double, derivative: Double, scale: Double) {
  let cdf = 0.5 * erfc(-x / 2.0.squareRoot())
  let density = exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
  return (x * cdf, cdf + x * density, abs(cdf) + abs(x * density))
}

/// GPT-2's tanh GELU in Double, with `½(1 + tanh u)` written as a logistic so that its left tail is exact, and
/// `|2u|`, the factor by which the float rounding of `u` is amplified in the result.
private func tanhReference(_ x: Double) -> (value: Double, derivative: Double, scale: Double, amplification: Double) {
  let c = (2 / Double.pi).squareRoot()
  let z = 2 * c * (x + 0.044715 * x * x * x)
  let s = 1 / (1 + exp(-z))
  let derivative = s + 2 * x * s * (1 - s) * c * (1 + 3 * 0.044715 * x * x)
  return (x * s, derivative, abs(s) + abs(x * 2 * s * (1 - s) * c * (1 + 3 * 0.044715 * x * x)), abs(z))
}

/// The spacing of floats at `v` (the subnormal spacing below the normal range).
private func floatSpacing(_ v: Double) -> Double { max(Double(Float(abs(v)).ulp), Double(Float.leastNonzeroMagnitude)) }

/// Every float from -14.5 to 14.5 in steps of 2⁻¹³ plus a few odd ones, in a row whose length is no multiple of 16.
private let grid: [Float] = (0..<(29 * 8192 + 7)).map { Float(-14.5 + Double($0) / 8192) }

@Suite("Vectorized GELU kernels against Double references")
struct GELUKernelTests {
  private func evaluate(
    _ forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int32) -> Void,
    _ backward: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int32, Int32) -> Void,
    level: Int32
  ) -> (values: [Float], derivatives: [Float]) {
    var values = [Float](repeating: 0, count: grid.count)
    var derivatives = [Float](repeating: 0, count: grid.count)
    let ones = [Float](repeating: 1, count: grid.count)
    forward(grid, &values, grid.count, level)
    backward(grid, ones, &derivatives, grid.count, 0, level)
    return (values, derivatives)
  }

  /// Within 6 ulp of the exact value and 4 ulp (of `Φ + |x·φ|`) of the exact derivative, at every vector level;
  /// where `Φ(x)` is subnormal (x < −13) the error is that of a subnormal `Φ`, a few units of 2⁻¹⁴⁹ times `|x|`.
  @Test(arguments: [Int32(0), 2, 3])
  func exactFormIsWithinAFewUlp(level: Int32) {
    let (values, derivatives) = evaluate(sml_gelu_f, sml_gelu_backward_f, level: level)
    var worst = (value: 0.0, derivative: 0.0)
    for (i, x) in grid.enumerated() {
      let reference = exactReference(Double(x))
      let subnormalSlack = 8 * abs(Double(x)) * Double(Float.leastNonzeroMagnitude)
      let valueError = max(0, abs(Double(values[i]) - reference.value) - subnormalSlack) / floatSpacing(reference.value)
      let derivativeError =
        max(0, abs(Double(derivatives[i]) - reference.derivative) - subnormalSlack) / floatSpacing(reference.scale)
      worst = (max(worst.value, valueError), max(worst.derivative, derivativeError))
    }
    #expect(worst.value <= 6, "value: \(worst.value) ulp")
    #expect(worst.derivative <= 4, "derivative: \(worst.derivative) ulp")
  }

  /// Within 4 ulp of the Double formula once the float rounding of its argument (amplified `|2u|`-fold) is
  /// allowed for; the left tail comes out down to the subnormals instead of flushing to 0.
  @Test(arguments: [Int32(0), 2, 3])
  func tanhFormIsWithinAFewUlpOfItsFormula(level: Int32) {
    let (values, derivatives) = evaluate(sml_gelu_tanh_f, sml_gelu_tanh_backward_f, level: level)
    var worst = (value: 0.0, derivative: 0.0)
    for (i, x) in grid.enumerated() {
      let reference = tanhReference(Double(x))
      let allowance = 1 + reference.amplification
      let valueError = abs(Double(values[i]) - reference.value) / floatSpacing(reference.value) / allowance
      let derivativeError = abs(Double(derivatives[i]) - reference.derivative) / floatSpacing(reference.scale) / allowance
      worst = (max(worst.value, valueError), max(worst.derivative, derivativeError))
    }
    #expect(worst.value <= 4, "value: \(worst.value) ulp")
    #expect(worst.derivative <= 4, "derivative: \(worst.derivative) ulp")
    #expect(values[grid.firstIndex(of: -10)!] < 0, "GELU_tanh(-10) is a negative subnormal, not 0")
  }

  @Test func specialValuesAndAccumulation() {
    let x: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 1e30, -1e30, 3]
    var exact = [Float](repeating: 7, count: x.count)
    var tanh = [Float](repeating: 7, count: x.count)
    sml_gelu_f(x, &exact, x.count, sml_cpu_vector_level())
    sml_gelu_tanh_f(x, &tanh, x.count, sml_cpu_vector_level())
    for y in [exact, tanh] {
      #expect(y[0] == 0 && y[1] == 0 && y[2] == .infinity && y[5] == 1e30 && y[6] == 0)
      #expect(y[3].isNaN && y[4].isNaN)  // −∞·0, as PyTorch gives
    }
    // Accumulating adds dy·GELU′(x) to what the gradient holds.
    let dy: [Float] = [Float](repeating: 2, count: x.count)
    var overwritten = [Float](repeating: 5, count: x.count)
    var accumulated = [Float](repeating: 5, count: x.count)
    sml_gelu_backward_f(x, dy, &overwritten, x.count, 0, sml_cpu_vector_level())
    sml_gelu_backward_f(x, dy, &accumulated, x.count, 1, sml_cpu_vector_level())
    #expect(overwritten[0] == 1)  // 2·Φ(0)
    #expect(abs(overwritten[7] - Float(2 * exactReference(3).derivative)) < 1e-6)
    #expect(accumulated[7] == 5 + overwritten[7])
  }

  /// The layer runs the kernels row by row on strided views, in place included.
  @Test func layerMatchesTheKernelOnStridedRowsAndInPlace() {
    let (rows, columns, stride) = (5, 37, 41)
    var storage = (0..<(rows * stride)).map { Float(sin(Double($0)) * 4) }
    var kernel = [Float](repeating: 0, count: columns)
    storage.withUnsafeMutableBufferPointer { buffer in
      let view = MutableMatrixView(buffer.baseAddress!, rows: rows, columns: columns, leadingDimension: stride)
      let original = (0..<rows).map { Array(UnsafeBufferPointer(start: view.row($0), count: columns)) }
      GELU().forward(view.readOnly, into: view)
      for i in 0..<rows {
        sml_gelu_f(original[i], &kernel, columns, sml_cpu_vector_level())
        #expect(Array(UnsafeBufferPointer(start: view.row(i), count: columns)) == kernel)
      }
      #expect(view.base[columns] == Float(sin(Double(columns)) * 4), "padding between rows untouched")
    }
  }
}
