import Foundation
import TensorCore
import TestSupport
import Testing

@testable import StateSpaces

/// Helpers that build reference systems for the kernel tests.
enum KernelFixtures {
  static func s4(measure: HiPPOMeasure, order: Int, step: Double, length: Int, c: [Double]) throws
    -> (channel: S4Channel, naive: [Double])
  {
    let channel = try DPLRDecomposition(measure: measure, order: order).channel(output: c, step: step, length: length)
    let discrete = try HiPPO.matrices(measure, order: order).discretized(step: step, method: .bilinear)
    return (channel, try discrete.powerSeriesKernel(output: c, length: length))
  }

  static func realSystem(_ channel: DiagonalStateSpace, method: DiagonalDiscretization) throws
    -> (system: StateSpaceMatrices, c: [Double])
  {
    try channel.realSystem(method: method)
  }

  static func randomDiagonal(order: Int, seed: UInt64) throws -> DiagonalStateSpace {
    var generator = SeededGenerator(seed: seed)
    let a = try S4DInitialization.inverse.eigenvalues(order: order)
    let b = a.map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
    let c = a.map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
    return try DiagonalStateSpace(a: a, b: b, c: c, step: 0.03)
  }

  /// The RTF oracle of the reference note: poles 0.9e^{±0.3i}, 0.5, −0.6.
  static let rtf = try! TransferFunction(
    denominator: [-1.619606, 0.338039, 0.596882, -0.243], numerator: [1, -0.5, 0.25, 0.125], feedthrough: 0.7)
}

@Suite struct S4KernelTests {
  @Test func legSMatchesTheReferenceOracleAndThePowerSeries() throws {
    let (channel, naive) = try KernelFixtures.s4(
      measure: .legS, order: 8, step: 1.0 / 64, length: 64, c: [Double](repeating: 1, count: 8))
    let kernel = try S4Kernel.kernels([channel], length: 64)
    let error = discrepancy(kernel, naive, absoluteTolerance: 1e-10)
    #expect(error.isWithinTolerance, "\(error)")
    let oracle = [0.272242, 0.166494, 0.09368, 0.045455, 0.015278, -0.00193]
    #expect(discrepancy(Array(kernel.prefix(6)), oracle, absoluteTolerance: 1e-6).isWithinTolerance)
    #expect(abs(kernel.reduce(0, +) - 0.870416) < 1e-6)
  }

  @Test(arguments: [(HiPPOMeasure.legS, 16, 100), (.legT(window: 2), 16, 64), (.legT(window: 1), 12, 37)])
  func randomOutputsMatchThePowerSeries(measure: HiPPOMeasure, order: Int, length: Int) throws {
    var generator = SeededGenerator(seed: 11)
    let c = (0..<order).map { _ in generator.nextNormal() }
    let (channel, naive) = try KernelFixtures.s4(measure: measure, order: order, step: 0.05, length: length, c: c)
    let error = discrepancy(try S4Kernel.kernels([channel, channel], length: length), naive + naive, absoluteTolerance: 1e-10)
    #expect(error.isWithinTolerance, "\(measure.name) N=\(order) L=\(length): \(error)")
  }

  @Test(arguments: [Int32(0), 2, 3])
  func everyVectorLevelMatchesThePowerSeries(level: Int32) throws {
    // Ranks 1 and 2, node counts that leave partial vectors (L = 100: 51 nodes; L = 37: 19 nodes).
    for (measure, order, length) in [(HiPPOMeasure.legS, 16, 100), (.legT(window: 1), 12, 37)] {
      var generator = SeededGenerator(seed: 5)
      let c = (0..<order).map { _ in generator.nextNormal() }
      let (channel, naive) = try KernelFixtures.s4(measure: measure, order: order, step: 0.07, length: length, c: c)
      let error = discrepancy(try S4Kernel.kernels([channel], length: length, vectorLevel: level), naive, absoluteTolerance: 1e-10)
      #expect(error.isWithinTolerance, "level \(level), \(measure.name): \(error)")
    }
  }

  @Test(arguments: [Int32(0), 2, 3])
  func stiffChannelsMatchThePowerSeries(level: Int32) throws {
    // Δ = 10⁻³ puts the poles next to the unit circle (|D'|² nearly vanishes between nodes), at N = 64 for
    // rank 1 and N = 32 for rank 2; L = 256 has the node ω = −1, L = 255 does not.
    for (measure, order, length) in [(HiPPOMeasure.legS, 64, 256), (.legT(window: 1), 32, 255)] {
      var generator = SeededGenerator(seed: 19)
      let c = (0..<order).map { _ in generator.nextNormal() }
      let (channel, naive) = try KernelFixtures.s4(measure: measure, order: order, step: 1e-3, length: length, c: c)
      let kernel = try S4Kernel.kernels([channel], length: length, vectorLevel: level)
      let error = discrepancy(kernel, naive, absoluteTolerance: 1e-10)
      #expect(kernel.count == length && error.isWithinTolerance, "level \(level), \(measure.name): \(error)")
    }
  }

  @Test(arguments: [1, 2, 3, 4])
  func shortKernelsMatchThePowerSeries(length: Int) throws {
    // L = 1 has the node ω = 1 only, L = 2 ends on ω = −1, L = 3 has two nodes and no ω = −1.
    let (channel, naive) = try KernelFixtures.s4(
      measure: .legS, order: 8, step: 0.2, length: length, c: [1, -2, 0.5, 3, -1, 0.25, 2, -0.75])
    let kernel = try S4Kernel.kernels([channel], length: length)
    #expect(kernel.count == length)
    #expect(discrepancy(kernel, naive, absoluteTolerance: 1e-12).isWithinTolerance, "L=\(length)")
  }

  @Test(arguments: [1, 2, 37, 100, 16384])
  func nodesAreTheHalfAngleTangents(length: Int) {
    // τ_k = tan(πk/L): the angle atan(τ_k) is within a few ulps of πk/L, and τ = +∞ exactly at 2k = L.
    let tangents = S4Kernel.nodes(length: length)
    #expect(tangents.count == length / 2 + 1)
    var worst = 0.0
    for (k, tau) in tangents.enumerated() {
      if 2 * k == length {
        #expect(tau == .infinity)
      } else {
        worst = max(worst, abs(atan(tau) - Double.pi * Double(k) / Double(length)))
      }
    }
    #expect(worst < 1e-15, "L=\(length): worst angle error \(worst)")
  }

  @Test(arguments: [(HiPPOMeasure.legS, 8), (.legS, 64), (.legT(window: 2), 16), (.legT(window: 1), 32)])
  func decompositionReconstructsTheMatrix(measure: HiPPOMeasure, order: Int) throws {
    let decomposition = try DPLRDecomposition(measure: measure, order: order)
    let a = try HiPPO.matrices(measure, order: order).a
    let error = decomposition.reconstructedMatrix().maxAbsDifference(a)
    #expect(error < 1e-11 * Double(order), "\(measure.name) N=\(order): \(error)")
    if measure == .legS && order == 8 {
      let imaginary = decomposition.eigenvalues.map { abs($0.imaginary) }.sorted()
      #expect(discrepancy(imaginary, [0.427489, 1.957794, 5.354209, 19.85741], absoluteTolerance: 1e-5).isWithinTolerance)
      #expect(decomposition.eigenvalues.allSatisfy { $0.real == -0.5 })
    }
  }

  @Test func oddOrdersAndOtherMeasuresAreRejected() {
    #expect(throws: StateSpaceError.self) { try DPLRDecomposition(measure: .legS, order: 7) }
    #expect(throws: StateSpaceError.self) { try DPLRDecomposition(measure: .fouT, order: 8) }
  }
}

@Suite struct S4DKernelTests {
  @Test(arguments: [
    (DiagonalDiscretization.zeroOrderHold, [0.389439, 0.348022, 0.282562, 0.204128, 0.125056]),
    (.bilinear, [0.387076, 0.347229, 0.283943, 0.207535, 0.129629]),
  ])
  func linearInitializationMatchesTheOracle(method: DiagonalDiscretization, oracle: [Double]) throws {
    let a = try S4DInitialization.linear.eigenvalues(order: 8)
    let ones = [Complex<Double>](repeating: .one, count: 4)
    let channel = try DiagonalStateSpace(a: a, b: ones, c: ones, step: 0.05)
    let kernel = try S4DKernel.kernels([channel], length: 32, method: method)
    #expect(discrepancy(Array(kernel.prefix(5)), oracle, absoluteTolerance: 1e-6).isWithinTolerance)
  }

  @Test func inverseInitializationMatchesTheOracle() throws {
    let imaginary = try S4DInitialization.inverse.eigenvalues(order: 8).map(\.imaginary)
    #expect(discrepancy(imaginary, [17.8254, 4.2441, 1.5279, 0.3638], absoluteTolerance: 1e-4).isWithinTolerance)
    #expect(try S4DInitialization.real.eigenvalues(order: 4) == [Complex(-1), Complex(-2)])
    #expect(throws: StateSpaceError.self) { try S4DInitialization.linear.eigenvalues(order: 5) }
  }

  @Test(arguments: DiagonalDiscretization.allCases)
  func kernelsMatchThePowerSeriesOfTheRealSystem(method: DiagonalDiscretization) throws {
    let channels = try [KernelFixtures.randomDiagonal(order: 16, seed: 3), KernelFixtures.randomDiagonal(order: 16, seed: 4)]
    let kernels = try S4DKernel.kernels(channels, length: 300, method: method)
    for (h, channel) in channels.enumerated() {
      let (system, c) = try KernelFixtures.realSystem(channel, method: method)
      let error = discrepancy(Array(kernels[h * 300..<(h + 1) * 300]), try system.powerSeriesKernel(output: c, length: 300), absoluteTolerance: 1e-10)
      #expect(error.isWithinTolerance, "\(method) channel \(h): \(error)")
    }
  }

  @Test(arguments: [Int32(0), 2, 3])
  func everyVectorLevelMatchesThePowerSeries(level: Int32) throws {
    // L = 300: nine full blocks of 32 taps and a partial one; L = 5: a single partial block.
    let channel = try KernelFixtures.randomDiagonal(order: 16, seed: 7)
    let (system, c) = try KernelFixtures.realSystem(channel, method: .zeroOrderHold)
    for length in [300, 5] {
      let kernel = try S4DKernel.kernels([channel, channel], length: length, method: .zeroOrderHold, vectorLevel: level)
      let naive = try system.powerSeriesKernel(output: c, length: length)
      let error = discrepancy(kernel, naive + naive, absoluteTolerance: 1e-10)
      #expect(kernel.count == 2 * length && error.isWithinTolerance, "level \(level), L = \(length): \(error)")
    }
  }

  @Test(arguments: DiagonalDiscretization.allCases)
  func gradientMatchesFiniteDifferences(method: DiagonalDiscretization) throws {
    let channel = try KernelFixtures.randomDiagonal(order: 6, seed: 9)
    var generator = SeededGenerator(seed: 10)
    let upstream = (0..<40).map { _ in generator.nextNormal() }
    func loss(_ c: DiagonalStateSpace) throws -> Double {
      zip(try S4DKernel.kernels([c], length: 40, method: method), upstream).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let gradient = try S4DKernel.gradients(of: channel, outputGradient: upstream, method: method)
    let h = 1e-6
    /// The central difference along one parameter, moved by ±h through a fresh channel.
    func central(
      _ perturb: (_ a: inout [Complex<Double>], _ b: inout [Complex<Double>], _ c: inout [Complex<Double>],
        _ step: inout Double, _ h: Double) -> Void
    ) throws -> Double {
      func moved(_ delta: Double) throws -> DiagonalStateSpace {
        var (a, b, c, step) = (channel.a, channel.b, channel.c, channel.step)
        perturb(&a, &b, &c, &step, delta)
        return try DiagonalStateSpace(a: a, b: b, c: c, step: step)
      }
      return (try loss(moved(h)) - loss(moved(-h))) / (2 * h)
    }
    var worst = 0.0
    for n in 0..<3 {
      worst = max(worst, abs(try central { a, _, _, _, h in a[n].real += h } - gradient.a[n].real))
      worst = max(worst, abs(try central { a, _, _, _, h in a[n].imaginary += h } - gradient.a[n].imaginary))
      worst = max(worst, abs(try central { _, b, _, _, h in b[n].real += h } - gradient.b[n].real))
      worst = max(worst, abs(try central { _, b, _, _, h in b[n].imaginary += h } - gradient.b[n].imaginary))
      worst = max(worst, abs(try central { _, _, c, _, h in c[n].real += h } - gradient.c[n].real))
      worst = max(worst, abs(try central { _, _, c, _, h in c[n].imaginary += h } - gradient.c[n].imaginary))
    }
    worst = max(worst, abs(try central { _, _, _, step, h in step += h } - gradient.step) / 100)
    #expect(worst < 1e-5, "\(method): worst gradient error \(worst)")
  }
}

@Suite struct RTFTests {
  @Test func kernelCorrectionAndRecurrenceMatchTheOracle() throws {
    let rtf = KernelFixtures.rtf
    let kernel = try RTFKernel.kernels([rtf], length: 64)
    let oracle = [0.699826, 1.001064, 1.121576, 1.727806, 1.946669, 2.14258]
    // The oracle's a is rounded to 6 decimals, which moves later taps by a few 1e-6.
    #expect(discrepancy(Array(kernel.prefix(6)), oracle, absoluteTolerance: 1e-5).isWithinTolerance)
    let c = try rtf.recurrentOutputWeights(length: 64)
    #expect(discrepancy(c, [1.001064, -0.499753, 0.249695, 0.124958], absoluteTolerance: 1e-6).isWithinTolerance)
    var impulse = [Double](repeating: 0, count: 64)
    impulse[0] = 1
    let response = try RTFKernel.recurrentOutput(of: rtf, weights: c, input: impulse)
    let error = discrepancy(Array(response[1...]), Array(kernel[1...]), absoluteTolerance: 1e-12)
    #expect(error.isWithinTolerance, "\(error)")
    #expect(abs(kernel[0] - 0.7 - -1.74e-4) < 1e-6)
    let corrected = try RTFKernel.kernels([rtf], length: 64, correctingWrapAround: true)
    #expect(discrepancy(response, corrected, absoluteTolerance: 1e-12).isWithinTolerance)
  }

  @Test func kernelMatchesTheCompanionPowerSeries() throws {
    let rtf = KernelFixtures.rtf
    let length = 50
    let c = try rtf.recurrentOutputWeights(length: length)
    let naive = try rtf.companion().powerSeriesKernel(output: c, length: length - 1)
    let kernel = try RTFKernel.kernels([rtf], length: length)
    #expect(discrepancy(Array(kernel[1...]), naive, absoluteTolerance: 1e-10).isWithinTolerance)
  }

  @Test func gradientMatchesFiniteDifferences() throws {
    let rtf = KernelFixtures.rtf
    var generator = SeededGenerator(seed: 5)
    let upstream = (0..<33).map { _ in generator.nextNormal() }
    func loss(_ t: TransferFunction) throws -> Double {
      zip(try RTFKernel.kernels([t], length: 33), upstream).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let gradient = try RTFKernel.gradients(of: rtf, outputGradient: upstream)
    let h = 1e-6
    /// The central difference along one coefficient, moved by ±h through a fresh transfer function.
    func central(_ perturb: (_ a: inout [Double], _ b: inout [Double], _ h0: inout Double, _ h: Double) -> Void)
      throws -> Double
    {
      func moved(_ delta: Double) throws -> TransferFunction {
        var (a, b, h0) = (rtf.denominator, rtf.numerator, rtf.feedthrough)
        perturb(&a, &b, &h0, delta)
        return try TransferFunction(denominator: a, numerator: b, feedthrough: h0)
      }
      return (try loss(moved(h)) - loss(moved(-h))) / (2 * h)
    }
    var worst = 0.0
    for k in 0..<4 {
      worst = max(worst, abs(try central { a, _, _, h in a[k] += h } - gradient.denominator[k]))
      worst = max(worst, abs(try central { _, b, _, h in b[k] += h } - gradient.numerator[k]))
    }
    worst = max(worst, abs(try central { _, _, h0, h in h0 += h } - gradient.feedthrough))
    #expect(worst < 1e-5, "worst gradient error \(worst)")
  }

  @Test func stabilityProjectionPullsPolesInsideTheUnitDisk() throws {
    let unstable = try TransferFunction(denominator: [-2.5, 1.8, -0.4], numerator: [1, 0, 0], feedthrough: 0)
    #expect(try unstable.companion().spectralRadius > 1)
    let stable = try unstable.stabilized(slack: 0.2)
    #expect(stable.denominator.reduce(0) { $0 + abs($1) } < 1)
    #expect(try stable.companion().spectralRadius < 1)
    #expect(throws: StateSpaceError.self) { try unstable.stabilized(slack: .nan) }
  }

  @Test func stateSpaceToTransferFunctionAndBackPreservesTheKernel() throws {
    var generator = SeededGenerator(seed: 21)
    let n = 6
    let raw = Tensor<Double>.normal(shape: [n, n], using: &generator)
    let a = (0.6 / raw.frobeniusNorm) * raw
    let system = try StateSpaceMatrices(a: a, b: (0..<n).map { _ in generator.nextNormal() })
    let c = (0..<n).map { _ in generator.nextNormal() }
    let transfer = try system.transferFunction(output: c, feedthrough: 0.3)
    let back = transfer.companion()
    let error = discrepancy(
      try back.powerSeriesKernel(output: transfer.numerator, length: 60), try system.powerSeriesKernel(output: c, length: 60),
      absoluteTolerance: 1e-12)
    #expect(error.isWithinTolerance, "\(error)")
    #expect(transfer.feedthrough == 0.3)
  }

  @Test func badShapesAreRejected() throws {
    #expect(throws: StateSpaceError.self) { try TransferFunction(denominator: [1, 2], numerator: [1], feedthrough: 0) }
    #expect(throws: StateSpaceError.self) { try RTFKernel.kernels([KernelFixtures.rtf], length: 4) }
  }
}

@Suite struct ConvolutionTests {
  @Test func convolutionMatchesTheDirectSum() throws {
    var generator = SeededGenerator(seed: 1)
    let (batch, channels, length) = (2, 3, 37)
    let input = (0..<batch * channels * length).map { _ in generator.nextNormal() }
    let kernel = (0..<channels * length).map { _ in generator.nextNormal() }
    let d = [0.5, -1, 2.0]
    let output = try causalConvolution(input, kernel: kernel, channels: channels, length: length, feedthrough: d)
    var reference = [Double](repeating: 0, count: input.count)
    for row in 0..<batch * channels {
      let h = row % channels
      for t in 0..<length {
        var sum = d[h] * input[row * length + t]
        for j in 0...t { sum += kernel[h * length + j] * input[row * length + t - j] }
        reference[row * length + t] = sum
      }
    }
    #expect(discrepancy(output, reference, absoluteTolerance: 1e-12).isWithinTolerance)
    #expect(throws: StateSpaceError.self) { try causalConvolution(input, kernel: kernel, channels: 2, length: length) }
  }

  /// Convolution mode equals recurrent mode on random inputs, for every kernel family.
  @Test func convolutionModeEqualsRecurrentMode() throws {
    var generator = SeededGenerator(seed: 2)
    let length = 80
    let input = (0..<length).map { _ in generator.nextNormal() }
    // S4: real LegS system and its DPLR kernel.
    let c = (0..<8).map { _ in generator.nextNormal() }
    let (s4, _) = try KernelFixtures.s4(measure: .legS, order: 8, step: 0.1, length: length, c: c)
    let s4Recurrent = try HiPPO.matrices(.legS, order: 8).discretized(step: 0.1, method: .bilinear)
      .recurrentOutput(input, output: c, feedthrough: 0.4)
    let s4Convolution = try causalConvolution(input, kernel: try S4Kernel.kernels([s4], length: length), channels: 1, length: length, feedthrough: [0.4])
    #expect(discrepancy(s4Convolution, s4Recurrent, absoluteTolerance: 1e-10).isWithinTolerance)
    // S4D: real 2×2-block recurrence.
    let s4d = try KernelFixtures.randomDiagonal(order: 8, seed: 8)
    let (blocks, blockC) = try KernelFixtures.realSystem(s4d, method: .zeroOrderHold)
    let s4dConvolution = try causalConvolution(
      input, kernel: try S4DKernel.kernels([s4d], length: length, method: .zeroOrderHold), channels: 1, length: length)
    #expect(discrepancy(s4dConvolution, try blocks.recurrentOutput(input, output: blockC), absoluteTolerance: 1e-10).isWithinTolerance)
    // S4D: the diagonal O(N) recurrence, for both rules.
    for method in DiagonalDiscretization.allCases {
      let convolution = try causalConvolution(
        input, kernel: try S4DKernel.kernels([s4d], length: length, method: method), channels: 1, length: length)
      let error = discrepancy(try s4d.recurrentOutput(input, method: method), convolution, absoluteTolerance: 1e-10)
      #expect(error.isWithinTolerance, "\(method): \(error)")
    }
    // RTF: companion recurrence with the corrected weights.
    let rtf = KernelFixtures.rtf
    let rtfConvolution = try causalConvolution(
      input, kernel: RTFKernel.kernels([rtf], length: length, correctingWrapAround: true), channels: 1, length: length)
    let rtfRecurrent = try RTFKernel.recurrentOutput(of: rtf, weights: try rtf.recurrentOutputWeights(length: length), input: input)
    #expect(discrepancy(rtfConvolution, rtfRecurrent, absoluteTolerance: 1e-10).isWithinTolerance)
  }
}
