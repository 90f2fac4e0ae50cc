/// A fast, seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every run and platform. All randomness in StructuredML comes
/// from a generator like this one passed in explicitly; there is no global random state.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: (UInt64, UInt64, UInt64, UInt64)

  /// Creates a generator whose sequence is determined by `seed`.
  public init(seed: UInt64) {
    var splitMix = seed
    func next() -> UInt64 {
      splitMix &+= 0x9E37_79B9_7F4A_7C15
      var z = splitMix
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (next(), next(), next(), next())
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = rotateLeft(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotateLeft(state.3, 45)
    return result
  }

  private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  /// A uniform sample from the half-open unit interval [0, 1), with 53 random bits.
  public mutating func nextUnit() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A standard normal sample (mean 0, variance 1) by the Box–Muller transform.
  public mutating func nextNormal() -> Double {
    let u1 = 1 - nextUnit()  // in (0, 1], so the logarithm is finite
    let u2 = nextUnit()
    return (-2 * Double.logarithm(u1)).squareRoot() * Double.cosine(2 * Double.pi * u2)
  }
}

extension Tensor {
  /// A tensor of independent uniform samples from `[lower, upper)`.
  public static func uniform(
    shape: [Int], in range: Range<Scalar> = 0..<1, using generator: inout SeededGenerator
  ) -> Tensor {
    let width = Double(range.upperBound - range.lowerBound)
    let lower = Double(range.lowerBound)
    return Tensor(shape: shape) { _ in Scalar(lower + width * generator.nextUnit()) }
  }

  /// A tensor of independent normal samples with the given mean and standard deviation.
  public static func normal(
    shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1, using generator: inout SeededGenerator
  ) -> Tensor {
    Tensor(shape: shape) { _ in mean + standardDeviation * Scalar(generator.nextNormal()) }
  }
}
