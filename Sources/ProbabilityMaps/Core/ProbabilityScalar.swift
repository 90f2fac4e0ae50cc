import TensorCore

/// A floating-point element type the probability maps run on: `Float` or `Double`.
///
/// Besides the `TensorScalar` entry points it supplies a vectorised exponential, the one
/// transcendental function that dominates softmax-like maps.
public protocol ProbabilityScalar: TensorScalar, SIMDScalar {
  /// `exp` of every lane, exactly `0` for lanes at or below the underflow limit (including `-inf`).
  ///
  /// - Parameter x: The exponents.
  /// - Returns: `e^x` lane by lane, with a relative error of a few units in the last place.
  static func exponentials(_ x: SIMD16<Self>) -> SIMD16<Self>
}

extension Float: ProbabilityScalar {
  /// A branch-free single-precision `exp`: Cody–Waite range reduction `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`,
  /// a degree-6 polynomial for `e^r` and the exponent bits for `2^n`; lanes below `-87.3` give exactly `0`.
  ///
  /// - Complexity: O(1), about 20 vector instructions per 16 lanes; no table, no libm call.
  @inline(__always)
  public static func exponentials(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let lowest: Float = -87.3
    let clamped = x.clamped(lowerBound: SIMD16(repeating: lowest), upperBound: SIMD16(repeating: 88.7))
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (no SSE4.1 rounding needed).
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let r = (clamped - n * 0.693_145_75) - n * 1.428_606_8e-6
    var p = SIMD16<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponentBits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let scale = unsafeBitCast(exponentBits, to: SIMD16<Float>.self)
    return (p * scale).replacing(with: 0, where: x .< lowest)
  }
}

extension Double: ProbabilityScalar {
  /// `exp` lane by lane through the C library (double precision is the reference path, not the fast one).
  ///
  /// - Complexity: O(1), 16 calls of `exp`.
  public static func exponentials(_ x: SIMD16<Double>) -> SIMD16<Double> {
    var result = SIMD16<Double>()
    for lane in 0..<16 { result[lane] = Double.exponential(x[lane]) }
    return result
  }
}
