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

extension ProbabilityScalar {
  /// `exp` of every lane through the vectorised exponential of the C kernels, the one every map uses.
  ///
  /// Cody–Waite range reduction `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2`, a minimax polynomial (`Float`) or
  /// the degree-13 Taylor polynomial (`Double`) for `e^r`, and `2^k` from the exponent bits: within 1 ulp
  /// for normal results; `-inf` gives exactly 0, overflow `+inf`, NaN stays NaN.
  ///
  /// - Parameter x: The exponents.
  /// - Returns: `e^x` lane by lane.
  /// - Complexity: O(1): one pass of the AVX-512, AVX2 or SSE kernel over 16 lanes.
  public static func exponentials(_ x: SIMD16<Self>) -> SIMD16<Self> {
    var result = SIMD16<Self>()
    withUnsafeBytes(of: x) { source in
      withUnsafeMutableBytes(of: &result) { target in
        RowKernels.exponentials(source.bindMemory(to: Self.self), into: target.bindMemory(to: Self.self))
      }
    }
    return result
  }
}

extension Float: ProbabilityScalar {}

extension Double: ProbabilityScalar {}
