import TensorCore
import TestSupport
import Testing

@testable import StateSpaces

/// Hostile and edge-case inputs for every public entry point: inconsistent sizes, NaN and infinity in
/// parameters, signals and gradients, overflowing steps and sizes. Each throws a typed error (never traps)
/// or gives the documented finite result.
@Suite struct RobustnessTests {
  static let complexOne = [Complex<Double>](repeating: .one, count: 4)

  /// Whether `body` throws exactly the state-space error case `expected` names.
  func throwsCase(_ expected: String, _ body: () throws -> Void) -> Bool {
    do {
      try body()
      return false
    } catch let error as StateSpaceError {
      switch error.fault {
      case .parameter: return expected == "parameter"
      case .input: return expected == "input"
      case .numerical: return expected == "numerical"
      }
    } catch {
      return false
    }
  }

  @Test(arguments: [Double.nan, .infinity, -.infinity])
  func nonFiniteParametersAreRejectedAtCreation(bad: Double) throws {
    var b = Self.complexOne
    b[2] = Complex(1, bad)
    let a = try S4DInitialization.linear.eigenvalues(order: 8)
    #expect(throwsCase("input") { _ = try DiagonalStateSpace(a: a, b: b, c: Self.complexOne, step: 0.1) })
    #expect(throwsCase("input") { _ = try DiagonalStateSpace(a: b, b: Self.complexOne, c: Self.complexOne, step: 0.1) })
    #expect(throwsCase("parameter") { _ = try DiagonalStateSpace(a: a, b: Self.complexOne, c: Self.complexOne, step: bad) })
    let decomposition = try DPLRDecomposition(measure: .legS, order: 8)
    #expect(
      throwsCase("input") {
        _ = try S4Channel(
          eigenvalues: decomposition.eigenvalues, lowRank: decomposition.lowRank, input: decomposition.input,
          output: b, step: 0.1)
      })
    #expect(
      throwsCase("input") {
        _ = try S4Channel(
          eigenvalues: decomposition.eigenvalues, lowRank: [b], input: decomposition.input, output: b, step: 0.1)
      })
    #expect(throwsCase("input") { _ = try decomposition.channel(output: [1, 1, 1, bad, 1, 1, 1, 1], step: 0.1, length: 8) })
    #expect(throwsCase("input") { _ = try TransferFunction(denominator: [0.1, bad], numerator: [1, 1], feedthrough: 0) })
    #expect(throwsCase("input") { _ = try TransferFunction(denominator: [0.1, 0.2], numerator: [1, 1], feedthrough: bad) })
    #expect(throwsCase("input") { _ = try StateSpaceMatrices(a: Tensor(shape: [1, 1], scalars: [bad]), b: [1]) })
    #expect(throwsCase("input") { _ = try StateSpaceMatrices(a: Tensor(shape: [1, 1], scalars: [1]), b: [bad]) })
  }

  /// One NaN in a signal would spread over every output of an FFT, and forward in time in a recurrence.
  @Test(arguments: [Double.nan, .infinity])
  func nonFiniteSignalsAndGradientsAreRejected(bad: Double) throws {
    var signal = [Double](repeating: 0.5, count: 16)
    signal[7] = bad
    let kernel = [Double](repeating: 0.1, count: 16)
    #expect(throwsCase("input") { _ = try causalConvolution(signal, kernel: kernel, channels: 1, length: 16) })
    #expect(throwsCase("input") { _ = try causalConvolution(kernel, kernel: signal, channels: 1, length: 16) })
    #expect(throwsCase("input") { _ = try causalConvolution(kernel, kernel: kernel, channels: 1, length: 16, feedthrough: [bad]) })
    let s4d = try DiagonalStateSpace(
      a: try S4DInitialization.linear.eigenvalues(order: 8), b: Self.complexOne, c: Self.complexOne, step: 0.1)
    #expect(throwsCase("input") { _ = try s4d.recurrentOutput(signal, method: .zeroOrderHold) })
    #expect(throwsCase("input") { _ = try S4DKernel.gradients(of: s4d, outputGradient: signal, method: .bilinear) })
    let rtf = try TransferFunction(denominator: [0.2, -0.1], numerator: [1, 0.5], feedthrough: 0.3)
    #expect(throwsCase("input") { _ = try RTFKernel.gradients(of: rtf, outputGradient: signal) })
    #expect(throwsCase("input") { _ = try RTFKernel.recurrentOutput(of: rtf, weights: [1, 0.5], input: signal) })
    let legS = try HiPPO.matrices(.legS, order: 4).discretized(step: 0.1, method: .bilinear)
    #expect(throwsCase("input") { _ = try legS.recurrentOutput(signal, output: [1, 1, 1, 1]) })
    #expect(throwsCase("input") { _ = try legS.apply(to: [0, 0, bad, 0], input: 1) })
    let timeVarying = try TimeVaryingLegS(order: 4, method: .bilinear)
    var state = [1.0, 0, 0, 0]
    #expect(throwsCase("input") { try timeVarying.advance(&state, input: bad, step: 1) })
    var approximation = try OnlineApproximation(measure: .legT(window: 1), order: 4, method: .bilinear)
    #expect(throwsCase("input") { try approximation.append(bad) })
    #expect(approximation.sampleCount == 0)
  }

  /// Sizes that do not fit together throw instead of reading out of bounds.
  @Test func inconsistentSizesThrow() throws {
    let legS = try HiPPO.matrices(.legS, order: 4)
    #expect(throwsCase("input") { _ = try legS.powerSeriesKernel(output: [1, 1, 1], length: 8) })
    #expect(throwsCase("parameter") { _ = try legS.powerSeriesKernel(output: [1, 1, 1, 1], length: 0) })
    #expect(throwsCase("input") { _ = try legS.recurrentOutput([1, 2], output: [1, 1, 1, 1, 1]) })
    #expect(throwsCase("input") { _ = try legS.apply(to: [1, 2, 3], input: 0) })
    #expect(throwsCase("input") { _ = try legS.transferFunction(output: [1]) })
    let timeVarying = try TimeVaryingLegS(order: 4, method: .forwardEuler)
    var short = [1.0, 2]
    #expect(throwsCase("input") { try timeVarying.advance(&short, input: 0, step: 1) })
    var state = [1.0, 0, 0, 0]
    #expect(throwsCase("parameter") { try timeVarying.advance(&state, input: 0, step: 0) })
    #expect(throwsCase("parameter") { _ = try timeVarying.transition(step: -3) })
    let decomposition = try DPLRDecomposition(measure: .legS, order: 8)
    #expect(throwsCase("input") { _ = try decomposition.projectedOutput([1, 2]) })
    #expect(throwsCase("parameter") { _ = try decomposition.channel(output: [Double](repeating: 1, count: 8), step: 0.1, length: 0) })
    let rtf = try TransferFunction(denominator: [0.2, -0.1], numerator: [1, 0.5], feedthrough: 0.3)
    #expect(throwsCase("input") { _ = try RTFKernel.recurrentOutput(of: rtf, weights: [1], input: [1, 2, 3]) })
    #expect(throwsCase("parameter") { _ = try rtf.recurrentOutputWeights(length: 0) })
    #expect(throwsCase("parameter") { _ = try HiPPOBasis.evaluate(.legS, order: 0, at: 0.5) })
    #expect(throwsCase("parameter") { _ = try HiPPOBasis.evaluate(.lagT(beta: 1), order: 4, at: .nan) })
    #expect(throwsCase("parameter") { _ = try HiPPO.matrices(.legS, order: HiPPO.maximumOrder + 1) })
    #expect(throwsCase("parameter") { _ = try HiPPO.matrices(.legS, order: Int.max) })
  }

  /// `H × L` beyond `Int` and lengths below 1 throw before anything is allocated.
  @Test func kernelSizesThatOverflowOrVanishThrow() throws {
    let s4d = try DiagonalStateSpace(
      a: try S4DInitialization.linear.eigenvalues(order: 8), b: Self.complexOne, c: Self.complexOne, step: 0.1)
    let many = [DiagonalStateSpace](repeating: s4d, count: 4)
    #expect(throwsCase("parameter") { _ = try S4DKernel.kernels(many, length: Int.max / 2, method: .zeroOrderHold) })
    #expect(throwsCase("parameter") { _ = try S4DKernel.kernels(many, length: 0, method: .zeroOrderHold) })
    let decomposition = try DPLRDecomposition(measure: .legS, order: 8)
    let s4 = try decomposition.channel(output: [Double](repeating: 1, count: 8), step: 0.1, length: 8)
    #expect(throwsCase("parameter") { _ = try S4Kernel.kernels([S4Channel](repeating: s4, count: 3), length: Int.max / 2) })
    #expect(throwsCase("parameter") { _ = try S4Kernel.kernels([s4], length: -1) })
    let rtf = try TransferFunction(denominator: [0.2, -0.1], numerator: [1, 0.5], feedthrough: 0.3)
    #expect(throwsCase("parameter") { _ = try RTFKernel.kernels([rtf, rtf, rtf], length: Int.max / 2) })
    #expect(throwsCase("parameter") { _ = try causalConvolution([1, 2], kernel: [1, 2], channels: Int.max / 2, length: 4) })
  }

  /// Steps so large that `ΔA` overflows are a numerical failure for every rule (ZOH trapped before).
  @Test(arguments: DiscretizationMethod.allCases)
  func overflowingStepsAreNumericalFailures(method: DiscretizationMethod) throws {
    for measure in [HiPPOMeasure.legS, .legT(window: 2), .fouT] {
      let system = try HiPPO.matrices(measure, order: 16)
      #expect(throwsCase("numerical") { _ = try system.discretized(step: 1e308, method: method) }, "\(measure.name)")
    }
    // LagT's entries are at most 1 in magnitude: I + ΔA with Δ = 10³⁰⁸ is finite (radius Δ/2), and the
    // exponential rule's 1-norm still overflows.
    let lagT = try HiPPO.matrices(.lagT(beta: 1), order: 16)
    if method == .forwardEuler {
      #expect(try lagT.discretized(step: 1e308, method: method).spectralRadius == 5e307)
    } else if method == .zeroOrderHold {
      #expect(throwsCase("numerical") { _ = try lagT.discretized(step: 1e308, method: method) })
    }
  }

  /// An unstable recurrence overflows: the approximation reports the sample instead of a NaN error.
  @Test func unstableApproximationsFailInsteadOfReturningNaN() throws {
    let signal = [Double](repeating: 1, count: 4000)
    let approximation = try OnlineApproximation(measure: .lagT(beta: 1), order: 32, method: .forwardEuler, step: 5)
    #expect(try approximation.discreteSystem?.stability == .unstable)
    #expect(throwsCase("numerical") { _ = try approximation.approximating(signal) })
  }

  /// A unstable S4D mode (Re A > 0) overflows as documented; a zero eigenvalue takes the limit Δ·B, not 0/0.
  @Test func diagonalEdgeCasesFollowTheDocumentedRules() throws {
    let zero = try DiagonalStateSpace(a: [.zero], b: [.one], c: [.one], step: 0.25)
    for method in DiagonalDiscretization.allCases {
      // Ā = 1, B̄ = Δ for both rules at A = 0: K_l = 2·Re(C B̄) = 0.5 for every l.
      let kernel = try S4DKernel.kernels([zero], length: 40, method: method)
      #expect(kernel.allSatisfy { abs($0 - 0.5) < 1e-15 }, "\(method): \(kernel.prefix(3))")
    }
    // Near zero the series agrees with the closed form evaluated in higher relative accuracy.
    let tiny = Complex<Double>(-1e-7, 2e-7)
    let near = try DiagonalStateSpace(a: [tiny], b: [.one], c: [.one], step: 0.5)
    let first = try S4DKernel.kernels([near], length: 1, method: .zeroOrderHold)[0]
    // 2·Re[(e^{Δa} − 1)/a] = 2Δ·Re(1 + Δa/2 + …) = 2Δ(1 + Δ·Re a/2) up to (Δ|a|)² ≈ 10⁻¹⁴; the quotient
    // evaluated as written would cancel to about 10⁻⁹.
    #expect(abs(first - 2 * 0.5 * (1 + 0.5 * tiny.real / 2)) < 1e-13)
    let growing = try DiagonalStateSpace(a: [Complex(50, 0)], b: [.one], c: [.one], step: 1)
    let overflowing = try S4DKernel.kernels([growing], length: 64, method: .zeroOrderHold)
    #expect(overflowing.first!.isFinite && !overflowing.last!.isFinite)
  }

  @Test func rtfPolesOnTheCircleAreNumericalFailures() throws {
    // a(z) = 1 − z⁻¹ has its root at z = 1, a node of every length.
    let integrator = try TransferFunction(denominator: [-1], numerator: [1], feedthrough: 0)
    #expect(throwsCase("numerical") { _ = try RTFKernel.kernels([integrator], length: 16) })
    #expect(throwsCase("numerical") { _ = try integrator.recurrentOutputWeights(length: 16) })
  }

  /// The band of width 10⁻⁸ around 1 is marginal; NaN counts as unstable.
  @Test func stabilityBandsFollowTheDocumentedTolerance() {
    #expect(DiscreteStability.tolerance == 1e-8)
    #expect(DiscreteStability(spectralRadius: 1 + 2e-8) == .unstable)
    #expect(DiscreteStability(spectralRadius: 1 + 5e-9) == .marginal)
    #expect(DiscreteStability(spectralRadius: 1) == .marginal)
    #expect(DiscreteStability(spectralRadius: 1 - 5e-9) == .marginal)
    #expect(DiscreteStability(spectralRadius: 1 - 2e-8) == .stable)
    #expect(DiscreteStability(spectralRadius: 0) == .stable)
    #expect(DiscreteStability(spectralRadius: .nan) == .unstable)
    #expect(DiscreteStability(spectralRadius: .infinity) == .unstable)
  }
}
