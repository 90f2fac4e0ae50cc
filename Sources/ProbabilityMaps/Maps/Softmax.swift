import CKernels
import TensorCore

/// Softmax with a temperature: `pᵢ = e^{xᵢ/T} / Σⱼ e^{xⱼ/T}`, computed stably after subtracting the row maximum.
///
/// `T → 0⁺` approaches `onehot(argmax)`, `T → ∞` the uniform distribution. The Jacobian with respect to `x`
/// is `(diag(p) − ppᵀ)/T`.
public struct Softmax: ProbabilityMap {
  /// The temperature `T > 0` that divides the scores.
  public let temperature: Double

  /// Creates a softmax with the given temperature.
  ///
  /// - Parameter temperature: `T`, finite and positive (default 1).
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` when `temperature` is not finite and positive.
  public init(temperature: Double = 1) throws {
    guard temperature.isFinite, temperature > 0 else {
      throw ProbabilityMapError.invalidParameter(
        map: "softmax", parameter: "temperature", value: temperature, requirement: "finite and positive")
    }
    self.temperature = temperature
  }

  /// Softmax at temperature 1.
  public static let standard = Softmax(validTemperature: 1)

  private init(validTemperature: Double) { self.temperature = validTemperature }

  /// The softmax of every row.
  ///
  /// - Complexity: O(n) per row: one pass for the maximum, one vectorised exponential pass, one scaling pass
  ///   (the last two on data already in cache).
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    let inverseTemperature = S(1 / temperature)
    try RowDriver.map(scores, length: n, into: output) { _, x, out, _ in
      RowKernels.softmax(x, inverseTemperature: inverseTemperature, into: out)
    }
  }

  /// `(p ⊙ (v − ⟨p, v⟩))/T`.
  ///
  /// - Complexity: O(n) per row.
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    let factor = S(1 / temperature)
    try RowDriver.map(output, gradient, length: n, into: result) { _, p, v, out in
      RowKernels.simplexBackward(
        p, gradient: v, factor: factor.isFinite ? factor : 1, weights: SML_WEIGHTS_AS_GIVEN, into: out)
      Softmax.applyOverflowingFactor(factor, to: out)
    }
  }

  /// Multiplies a gradient computed with factor 1 by a `1/T` that overflowed `S` (a temperature below
  /// `1/S.greatestFiniteMagnitude`), keeping exact zeros at 0 instead of the NaN of `0·inf`; a no-op for a
  /// finite factor, which the kernel applied itself.
  static func applyOverflowingFactor<S: ProbabilityScalar>(_ factor: S, to out: UnsafeMutableBufferPointer<S>) {
    guard !factor.isFinite else { return }
    for i in 0..<out.count where out[i] != 0 { out[i] *= factor }
  }
}
