/// Conversions between real numbers and bfloat16 bit patterns, the 16-bit format with `Float`'s exponent
/// range and 8 significant bits.
///
/// Swift has no bfloat16 type; a bfloat16 is the upper half of a `Float`:
///
/// ```
/// float(bits) = Float(bitPattern: UInt32(bits) << 16)
/// bits(x)     = (u + 0x7FFF + ((u >> 16) & 1)) >> 16,   u = x.bitPattern   (round to nearest, ties to even)
/// ```
public enum BFloat16 {
  /// The `Float` a bfloat16 bit pattern stands for (exact).
  ///
  /// - Parameter bits: The bfloat16 bit pattern.
  /// - Returns: The value as a `Float`.
  public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

  /// The bfloat16 bit pattern nearest to `x`, ties to even; NaN stays a quiet NaN with its sign.
  ///
  /// - Parameter x: The value to round.
  /// - Returns: The bit pattern.
  public static func bits(_ x: Float) -> UInt16 {
    let u = x.bitPattern
    if x.isNaN { return UInt16(truncatingIfNeeded: u >> 16) | 0x0040 }
    return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
  }

  /// The bfloat16 bit pattern nearest to `x`, ties to even, rounded once.
  ///
  /// `x` goes to `Float` with round-to-odd first, which makes the second rounding to bfloat16 give the
  /// correctly rounded result (no double-rounding error).
  /// - Parameter x: The value to round.
  /// - Returns: The bit pattern.
  public static func bits(_ x: Double) -> UInt16 {
    var single = Float(x)
    guard single.isFinite, Double(single) != x, !x.isNaN else { return bits(single) }
    if Double(single).magnitude > x.magnitude {
      single = single > 0 ? single.nextDown : single.nextUp
    }
    return bits(Float(bitPattern: single.bitPattern | 1))
  }
}
