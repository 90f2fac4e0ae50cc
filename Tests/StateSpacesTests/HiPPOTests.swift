import TensorCore
import TestSupport
import Testing

@testable import StateSpaces

@Suite struct HiPPOTests {
  @Test func matricesMatchTheReferenceOraclesAtOrderFour() throws {
    let legS = try HiPPO.matrices(.legS, order: 4)
    let legSA: [Double] = [
      -1, 0, 0, 0, -1.732051, -2, 0, 0, -2.236068, -3.872983, -3, 0, -2.645751, -4.582576, -5.91608, -4,
    ]
    #expect(discrepancy(legS.a.scalars, legSA, absoluteTolerance: 1e-6).isWithinTolerance)
    #expect(discrepancy(legS.b, [1, 1.732051, 2.236068, 2.645751], absoluteTolerance: 1e-6).isWithinTolerance)
    let legT = try HiPPO.matrices(.legT(window: 2), order: 4)
    let legTA: [Double] = [
      -0.5, 0.866025, -1.118034, 1.322876, -0.866025, -1.5, 1.936492, -2.291288,
      -1.118034, -1.936492, -2.5, 2.95804, -1.322876, -2.291288, -2.95804, -3.5,
    ]
    #expect(discrepancy(legT.a.scalars, legTA, absoluteTolerance: 1e-6).isWithinTolerance)
    #expect(discrepancy(legT.b, [0.5, 0.866025, 1.118034, 1.322876], absoluteTolerance: 1e-6).isWithinTolerance)
    let lagT = try HiPPO.matrices(.lagT(beta: 1), order: 4)
    #expect(lagT.a.scalars == [-0.5, 0, 0, 0, -1, -0.5, 0, 0, -1, -1, -0.5, 0, -1, -1, -1, -0.5])
    #expect(lagT.b == [1, 1, 1, 1])
    let fouT = try HiPPO.matrices(.fouT, order: 4)
    let fouTA: [Double] = [-1, 0, -1.414214, 0, 0, 0, 0, 0, -1.414214, 0, -2, -3.141593, 0, 0, 3.141593, 0]
    #expect(discrepancy(fouT.a.scalars, fouTA, absoluteTolerance: 1e-6).isWithinTolerance)
    #expect(discrepancy(fouT.b, [1, 0, 1.414214, 0], absoluteTolerance: 1e-6).isWithinTolerance)
  }

  @Test func badParametersThrowNamedErrors() {
    #expect(throws: StateSpaceError.self) { try HiPPO.matrices(.legS, order: 0) }
    #expect(throws: StateSpaceError.self) { try HiPPO.matrices(.legT(window: -1), order: 4) }
    #expect(throws: StateSpaceError.self) { try HiPPOMeasure(name: "legx") }
    #expect(throws: StateSpaceError.self) { try DiscretizationMethod(name: "rk4") }
    #expect(throws: StateSpaceError.self) {
      try HiPPO.matrices(.legS, order: 4).discretized(step: 0, method: .bilinear)
    }
    #expect(throws: StateSpaceError.self) {
      try HiPPO.matrices(.legS, order: 4).discretized(step: .nan, method: .zeroOrderHold)
    }
  }
}

@Suite struct DiscretizationTests {
  /// B̄ and the spectral radius of Ā for LegT (halved), N = 4, Δ = 0.1 from the reference note.
  @Test(arguments: [
    (DiscretizationMethod.forwardEuler, [0.05, 0.086603, 0.111803, 0.132288], 0.872629),
    (.backwardEuler, [0.052073, 0.073994, 0.08778, 0.061096], 0.843937),
    (.bilinear, [0.052286, 0.078115, 0.101788, 0.089213], 0.85325),
    (.zeroOrderHold, [0.052858, 0.077129, 0.102749, 0.086378], 0.851598),
  ])
  func legTMatchesTheOracle(method: DiscretizationMethod, b: [Double], radius: Double) throws {
    let discrete = try HiPPO.matrices(.legT(window: 2), order: 4).discretized(step: 0.1, method: method)
    let error = discrepancy(discrete.b, b, absoluteTolerance: 2e-6)
    #expect(error.isWithinTolerance, "\(method): \(error)")
    let computed = try discrete.spectralRadius
    #expect(abs(computed - radius) < 2e-6, "\(method): radius \(computed)")
  }

  @Test func zeroOrderHoldMatchesTheScalarClosedForm() throws {
    let system = try StateSpaceMatrices(a: Tensor(shape: [1, 1], scalars: [-0.7]), b: [2])
    let discrete = try system.discretized(step: 0.3, method: .zeroOrderHold)
    let abar = Double.exponential(-0.7 * 0.3)
    #expect(abs(discrete.a.scalars[0] - abar) < 1e-15)
    #expect(abs(discrete.b[0] - 2 * (abar - 1) / -0.7) < 1e-15)
  }

  /// All four rules agree to first order: their differences shrink like Δ² as Δ → 0.
  @Test func methodsConvergeToEachOtherAsTheStepShrinks() throws {
    let system = try HiPPO.matrices(.legS, order: 8)
    var previous = Double.infinity
    for step in [1e-2, 1e-3, 1e-4] {
      let exact = try system.discretized(step: step, method: .zeroOrderHold)
      var worst = 0.0
      for method in [DiscretizationMethod.forwardEuler, .backwardEuler, .bilinear] {
        let other = try system.discretized(step: step, method: method)
        worst = max(worst, other.a.maxAbsDifference(exact.a))
      }
      #expect(worst < 300 * step * step, "Δ = \(step): difference \(worst)")
      #expect(worst < previous / 50)
      previous = worst
    }
  }

  @Test(arguments: DiscretizationMethod.allCases)
  func structuredLegSStepsAgreeWithTheDenseTransition(method: DiscretizationMethod) throws {
    let system = try TimeVaryingLegS(order: 12, method: method)
    var generator = SeededGenerator(seed: 7)
    var structured = system.initialState(firstInput: generator.nextNormal())
    var dense = structured
    for k in 1..<20 {
      let u = generator.nextNormal()
      try system.advance(&structured, input: u, step: k)
      dense = try system.transition(step: k).apply(to: dense, input: u)
    }
    let error = discrepancy(structured, dense, absoluteTolerance: 1e-12, relativeTolerance: 1e-12)
    #expect(error.isWithinTolerance, "\(method): \(error)")
  }
}

@Suite struct ReconstructionTests {
  static let signal: [Double] = (0..<1000).map { k in
    let t = Double(k) / 1000
    return Double.sine(6 * .pi * t) + 0.5 * Double.cosine(14 * .pi * t) + t
  }

  // The reference note's MSE table is checked against NumPy in FixtureTests.reconstructionErrorsMatchNumPy.

  @Test func laguerreAndFourierReconstructionsImproveWithOrder() throws {
    for (measure, step) in [(HiPPOMeasure.lagT(beta: 1), 1e-2), (.fouT, 1e-3)] {
      var errors: [Double] = []
      for order in [16, 64] {
        let approximation = try OnlineApproximation(measure: measure, order: order, method: .zeroOrderHold, step: step)
        errors.append(try approximation.approximating(Self.signal).meanSquaredError)
      }
      #expect(errors[1] < errors[0] / 2, "\(measure.name): \(errors)")
    }
  }
}
