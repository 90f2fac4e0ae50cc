import TensorCore

/// The time-varying LegS system `x' = (A x + B u)/t` of online approximation, stepped on unit-spaced samples.
///
/// The first sample sets `x₀ = [u₀, 0, …, 0]` (the `t₀ = 0` rule); step `k = 1, 2, …` uses `A/k`, `B/k`:
///
/// ```
/// forward   x ← (I + A/k) x + (B/k) u_k
/// backward  x ← (I − A/k)⁻¹ (x + (B/k) u_k)
/// bilinear  x ← (I − A/2k)⁻¹ [(I + A/2k) x + (B/k) u_k]
/// ZOH       x ← e^{A·ln((k+1)/k)} x + A⁻¹(e^{A·ln((k+1)/k)} − I) B u_k     (exact in τ = ln t)
/// ```
///
/// The Euler and bilinear steps use the structure of LegS, `(A x)_n = −r_n Σ_{j<n} r_j x_j − (n+1) x_n`, so
/// `A x` is one running sum and `(I − αA)⁻¹` is a forward substitution: O(N) per step.
public struct TimeVaryingLegS: Sendable {
  /// The state size N.
  public let order: Int
  /// The discretization rule.
  public let method: DiscretizationMethod
  private let continuous: StateSpaceMatrices
  private let r: [Double]

  /// Creates the system.
  ///
  /// - Parameters:
  ///   - order: The state size N (at least 1).
  ///   - method: The discretization rule.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when `order < 1`.
  public init(order: Int, method: DiscretizationMethod) throws {
    continuous = try HiPPO.matrices(.legS, order: order)
    self.order = order
    self.method = method
    r = (0..<order).map { Double(2 * $0 + 1).squareRoot() }
  }

  /// The state after the first sample: `[u₀, 0, …, 0]`.
  ///
  /// - Parameter firstInput: The sample `u₀`.
  /// - Returns: The initial state.
  public func initialState(firstInput: Double) -> [Double] {
    var state = [Double](repeating: 0, count: order)
    state[0] = firstInput
    return state
  }

  /// The dense discrete pair `(Ā_k, B̄_k)` of step `k`, as in the table above.
  ///
  /// - Parameter k: The step index, at least 1.
  /// - Returns: `Ā_k` and `B̄_k`.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when k < 1.
  /// - Complexity: O(N³).
  public func transition(step k: Int) throws -> StateSpaceMatrices {
    guard k >= 1 else { throw StateSpaceError.invalidParameter(operation: "time-varying LegS", parameter: "step k", value: "\(k)", requirement: "at least 1") }
    let t = Double(k)
    switch method {
    case .zeroOrderHold:
      let logStep = Double.logarithm(Double(k + 1)) - Double.logarithm(t)
      return try continuous.discretized(step: logStep, method: .zeroOrderHold)
    case .forwardEuler, .backwardEuler, .bilinear:
      var scaled = try StateSpaceMatrices(a: (1 / t) * continuous.a, b: continuous.b.map { $0 / t })
      scaled = try scaled.discretized(step: 1, method: method)
      return scaled
    }
  }

  /// Advances the state by step `k` with input `u_k`: O(N) for the Euler and bilinear rules, a dense
  /// transition for zero-order hold.
  ///
  /// - Parameters:
  ///   - state: The state, updated in place.
  ///   - input: The sample `u_k`.
  ///   - k: The step index, at least 1.
  /// - Throws: ``StateSpaceError`` when the state does not have N entries or the input is
  ///   not finite; ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when k < 1.
  /// - Complexity: O(N) (Euler, bilinear); O(N³) (ZOH).
  public func advance(_ state: inout [Double], input: Double, step k: Int) throws {
    guard state.count == order else {
      throw StateSpaceError.countMismatch(operation: "time-varying LegS", tensor: "the state", count: state.count, expected: order)
    }
    guard k >= 1 else { throw StateSpaceError.invalidParameter(operation: "time-varying LegS", parameter: "step k", value: "\(k)", requirement: "at least 1") }
    try StateSpaceValidation.requireFinite([input], operation: "time-varying LegS", tensor: "input u_\(k)")
    let inverseT = 1 / Double(k)
    switch method {
    case .forwardEuler:
      let ax = applyA(state)
      for n in 0..<order { state[n] += inverseT * (ax[n] + r[n] * input) }
    case .backwardEuler:
      for n in 0..<order { state[n] += inverseT * r[n] * input }
      solveImplicit(&state, alpha: inverseT)
    case .bilinear:
      let ax = applyA(state)
      for n in 0..<order { state[n] += inverseT * (0.5 * ax[n] + r[n] * input) }
      solveImplicit(&state, alpha: 0.5 * inverseT)
    case .zeroOrderHold:
      let discrete = try transition(step: k)
      state = discrete.advanced(state, input: input)
    }
  }

  /// `A x` by one running sum.
  private func applyA(_ x: [Double]) -> [Double] {
    var result = [Double](repeating: 0, count: order)
    var sum = 0.0
    for n in 0..<order {
      result[n] = -r[n] * sum - Double(n + 1) * x[n]
      sum += r[n] * x[n]
    }
    return result
  }

  /// Overwrites `v` with `(I − αA)⁻¹ v` by forward substitution.
  private func solveImplicit(_ v: inout [Double], alpha: Double) {
    var sum = 0.0
    for n in 0..<order {
      let y = (v[n] - alpha * r[n] * sum) / (1 + Double(n + 1) * alpha)
      v[n] = y
      sum += r[n] * y
    }
  }
}

extension StateSpaceMatrices {
  /// One step of the discrete system: `Ā x + B̄ u`.
  ///
  /// - Parameters:
  ///   - state: The state x.
  ///   - input: The input u.
  /// - Returns: The next state.
  /// - Throws: ``StateSpaceError`` when the state does not have N entries or a value is NaN
  ///   or infinite.
  /// - Complexity: O(N²).
  public func apply(to state: [Double], input: Double) throws -> [Double] {
    guard state.count == order else {
      throw StateSpaceError.countMismatch(operation: "discrete step", tensor: "the state", count: state.count, expected: order)
    }
    try StateSpaceValidation.requireFinite(state, operation: "discrete step", tensor: "the state")
    try StateSpaceValidation.requireFinite([input], operation: "discrete step", tensor: "the input")
    return advanced(state, input: input)
  }

  /// `Ā x + B̄ u` for a state of N entries (checked by the caller).
  func advanced(_ state: [Double], input: Double) -> [Double] {
    let n = order
    var next = [Double](repeating: 0, count: n)
    a.scalars.withUnsafeBufferPointer { matrix in
      for i in 0..<n {
        var sum = b[i] * input
        for k in 0..<n { sum += matrix[i * n + k] * state[k] }
        next[i] = sum
      }
    }
    return next
  }
}
