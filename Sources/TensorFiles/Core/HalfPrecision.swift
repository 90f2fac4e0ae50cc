/// Conversions between real numbers and IEEE 754 binary16 (`F16`, numpy `<f2`) bit patterns.
///
/// Written on integer bit patterns rather than Swift's `Float16`, which does not exist on every platform
/// (macOS on Intel has none), so that `.npy` and `.safetensors` files read and write the same everywhere:
///
/// ```
/// value = (−1)^sign · 2^(exponent − 15) · (1 + mantissa/1024)   (exponent 1…30)
///       = (−1)^sign · 2^−24 · mantissa                          (exponent 0: subnormal)
/// ```
public enum HalfPrecision {
  /// The `Float` a binary16 bit pattern stands for (exact; NaN payloads and signs are kept).
  ///
  /// - Parameter bits: The binary16 bit pattern.
  /// - Returns: The value as a `Float`.
  public static func float(_ bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
      let magnitude = Float(mantissa) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 0x1F:
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
      return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
  }

  /// The binary16 bit pattern nearest to `x`, ties to even, rounded once; values beyond the largest finite
  /// half (65504) round to infinity as IEEE arithmetic does, and NaN stays a quiet NaN with its sign.
  ///
  /// - Parameter x: The value to round (a `Float` converts to `Double` exactly, so this serves both).
  /// - Returns: The bit pattern.
  public static func bits(_ x: Double) -> UInt16 {
    let pattern = x.bitPattern
    let sign = UInt16(truncatingIfNeeded: pattern >> 48) & 0x8000
    let exponent = Int((pattern >> 52) & 0x7FF)
    let mantissa = pattern & 0x000F_FFFF_FFFF_FFFF
    if exponent == 0x7FF {
      return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200 | UInt16(truncatingIfNeeded: mantissa >> 42))
    }
    let halfExponent = exponent - 1023 + 15
    if halfExponent >= 31 { return sign | 0x7C00 }
    if halfExponent <= 0 {
      // Subnormal (or zero) half: the 53-bit significand scaled to units of 2^−24.
      let significand = exponent == 0 ? mantissa : mantissa | (1 << 52)
      return sign | UInt16(roundedShift(significand, by: 42 + 1 - halfExponent))
    }
    // A carry out of the mantissa moves into the exponent, up to infinity (0x7C00), as it should.
    let rounded = (UInt64(halfExponent) << 10) + roundedShift(mantissa, by: 42)
    return sign | UInt16(min(rounded, 0x7C00))
  }

  /// `value >> shift`, rounded to nearest with ties to even.
  private static func roundedShift(_ value: UInt64, by shift: Int) -> UInt64 {
    guard shift < 64 else { return 0 }
    let kept = value >> shift
    let remainder = value & ((1 << shift) - 1)
    let half = UInt64(1) << (shift - 1)
    return remainder > half || (remainder == half && kept & 1 == 1) ? kept + 1 : kept
  }
}
