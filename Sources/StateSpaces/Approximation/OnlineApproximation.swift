import TensorCore

/// Online function approximation: a signal streamed through a discretized HiPPO system, whose state is at
/// every moment the coefficient vector of the history in the measure's basis.
///
/// LegS runs the time-varying system of ``TimeVaryingLegS`` (the whole history, rescaled as it grows); the
/// other measures run the time-invariant discrete system `c ← Ā c + B̄ u` from `c = 0` with step Δ.
///
/// ```swift
/// var approximation = try OnlineApproximation(measure: .legS, order: 32, method: .bilinear)
/// for u in signal { try approximation.append(u) }
/// let history = approximation.reconstruction()   // one value per sample seen
/// ```
public struct OnlineApproximation: Sendable {
  /// The measure and its time scale.
  public let measure: HiPPOMeasure
  /// The state size N.
  public let order: Int
  /// The discretization rule.
  public let method: DiscretizationMethod
  /// The time between samples for the time-invariant measures (LegS runs in sample units).
  public let step: Double
  /// The coefficients of the history seen so far (zero before the first sample).
  public private(set) var coefficients: [Double]
  /// The number of samples seen.
  public private(set) var sampleCount = 0
  private let legS: TimeVaryingLegS?
  private let discrete: StateSpaceMatrices?

  /// Creates an approximation with an empty history.
  ///
  /// - Parameters:
  ///   - measure: The measure.
  ///   - order: The state size N (at least 1).
  ///   - method: The discretization rule.
  ///   - step: The sample spacing Δ for the time-invariant measures (ignored for LegS).
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` for a bad order or step.
  public init(measure: HiPPOMeasure, order: Int, method: DiscretizationMethod, step: Double = 1e-3) throws {
    self.measure = measure
    self.order = order
    self.method = method
    self.step = step
    if measure == .legS {
      legS = try TimeVaryingLegS(order: order, method: method)
      discrete = nil
    } else {
      legS = nil
      discrete = try HiPPO.matrices(measure, order: order).discretized(step: step, method: method)
    }
    coefficients = [Double](repeating: 0, count: order)
  }

  /// The discrete transition of a time-invariant measure; `nil` for LegS, whose time-varying steps have no
  /// single transition.
  ///
  /// Its ``StateSpaceMatrices/spectralRadius`` and ``StateSpaceMatrices/stability`` tell whether the
  /// recurrence stays bounded.
  public var discreteSystem: StateSpaceMatrices? { discrete }

  /// Feeds the next sample.
  ///
  /// - Parameter sample: The input value; it must be finite.
  /// - Throws: ``StateSpaceError`` for a non-finite sample;
  ///   ``StateSpaceError/numericalFailure(operation:reason:)`` when the state overflows (an unstable discrete system, for
  ///   example forward Euler on LegT at N = 64); the approximation is then left as it was before the sample.
  public mutating func append(_ sample: Double) throws {
    guard sample.isFinite else {
      throw StateSpaceError.nonFiniteInput(operation: "online approximation", tensor: "the signal", index: sampleCount)
    }
    var next = coefficients
    if let legS {
      if sampleCount == 0 {
        next = legS.initialState(firstInput: sample)
      } else {
        try legS.advance(&next, input: sample, step: sampleCount)
      }
    } else if let discrete {
      next = discrete.advanced(next, input: sample)
    }
    guard next.allSatisfy(\.isFinite) else {
      throw StateSpaceError.numericalFailure(
        operation: "HiPPO-\(measure.name) N=\(order) (\(method.rawValue))",
        reason: "the state overflowed at sample \(sampleCount); the discrete system is unstable")
    }
    coefficients = next
    sampleCount += 1
  }

  /// The history reconstructed from the current coefficients, one value per sample seen, oldest first.
  ///
  /// LegS evaluates its window `[0, t]` at `x = k/(count − 1)`; the windowed measures evaluate sample k at the
  /// lag `(count − 1 − k)·Δ` (see ``HiPPOBasis``).
  ///
  /// - Returns: `sampleCount` values.
  public func reconstruction() -> [Double] {
    let count = sampleCount
    guard count > 0 else { return [] }
    return (0..<count).map { k in
      let position: Double
      if measure == .legS {
        position = count == 1 ? 1 : Double(k) / Double(count - 1)
      } else {
        position = Double(count - 1 - k) * step
      }
      let basis = HiPPOBasis.values(measure, order: order, at: position)
      var value = 0.0
      for n in 0..<order { value += coefficients[n] * basis[n] }
      return value
    }
  }

  /// Streams a whole signal and returns the mean squared error of the reconstruction from the final state.
  ///
  /// - Parameter signal: The samples, oldest first (at least one).
  /// - Returns: The final approximation and `mean((reconstruction − signal)²)`, always finite.
  /// - Throws: ``StateSpaceError`` for an empty or non-finite signal;
  ///   ``StateSpaceError/numericalFailure(operation:reason:)`` when the state or the error overflows.
  public func approximating(_ signal: [Double]) throws -> (approximation: OnlineApproximation, meanSquaredError: Double) {
    guard !signal.isEmpty else { throw StateSpaceError.emptyInput(operation: "online approximation", tensor: "the signal") }
    var copy = self
    for sample in signal { try copy.append(sample) }
    let reconstructed = copy.reconstruction()
    var sum = 0.0
    for (a, b) in zip(reconstructed, signal) { sum += (a - b) * (a - b) }
    let meanSquaredError = sum / Double(signal.count)
    guard meanSquaredError.isFinite else {
      throw StateSpaceError.numericalFailure(
        operation: "HiPPO-\(measure.name) N=\(order) (\(method.rawValue))", reason: "the reconstruction error overflows")
    }
    return (copy, meanSquaredError)
  }
}
