#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The error function `erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt`, from the C library (`erff`).
///
/// Odd, increasing, with limits `±1`; exact GELU is `0.5·x·(1 + erf(x/√2))`.
///
/// - Complexity: O(1).
@inlinable
public func errorFunction(_ x: Float) -> Float { erff(x) }

/// The error function `erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt`, from the C library (`erf`).
///
/// - Complexity: O(1).
@inlinable
public func errorFunction(_ x: Double) -> Double { erf(x) }
