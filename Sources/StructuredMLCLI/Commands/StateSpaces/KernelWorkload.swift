import Foundation
import StateSpaces
import TensorCore

/// Seeded kernel parameters of one family for H channels, and the kernel computation that `ssm kernel` and
/// `bench ssm` time.
struct KernelWorkload {
  enum Kind: String, CaseIterable { case s4, s4d, rtf }

  let kind: Kind
  let order: Int
  let length: Int
  let channels: Int
  private let s4: [S4Channel]
  private let s4d: [DiagonalStateSpace]
  private let rtf: [TransferFunction]
  /// The real output row of channel 0 (S4), for the power-series check.
  private let realOutput: [Double]

  /// Builds seeded parameters: S4 from the LegS DPLR with random C̃, S4D-Lin with B = 1 and random C, RTF with
  /// the `montel` initialization `a ~ U(±1/n)`; Δ log-uniform in [10⁻³, 10⁻¹] per channel.
  init(kind: Kind, order: Int, length: Int, channels: Int, seed: UInt64 = 42) throws {
    (self.kind, self.order, self.length, self.channels) = (kind, order, length, channels)
    var generator = SeededGenerator(seed: seed)
    let steps = (0..<channels).map { _ in exp(log(1e-3) + generator.nextUnit() * log(100.0)) }
    var (s4, s4d, rtf, realOutput) = ([S4Channel](), [DiagonalStateSpace](), [TransferFunction](), [Double]())
    switch kind {
    case .s4:
      let decomposition = try DPLRDecomposition(measure: .legS, order: order)
      realOutput = (0..<order).map { _ in generator.nextNormal() }
      if Double(order * order) * Double(length) <= 2e9 {
        s4.append(try decomposition.channel(output: realOutput, step: steps[0], length: length))
      }
      while s4.count < channels {
        let c = decomposition.eigenvalues.map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
        s4.append(
          try S4Channel(
            eigenvalues: decomposition.eigenvalues, lowRank: decomposition.lowRank, input: decomposition.input,
            output: c, step: steps[s4.count]))
      }
    case .s4d:
      let a = try S4DInitialization.linear.eigenvalues(order: order)
      for h in 0..<channels {
        let c = a.map { _ in Complex(generator.nextNormal() / 2.squareRoot(), generator.nextNormal() / 2.squareRoot()) }
        s4d.append(try DiagonalStateSpace(a: a, b: a.map { _ in .one }, c: c, step: steps[h]))
      }
    case .rtf:
      for _ in 0..<channels {
        let a = (0..<order).map { _ in (2 * generator.nextUnit() - 1) / Double(order) }
        let b = (0..<order).map { _ in generator.nextNormal() }
        rtf.append(try TransferFunction(denominator: a, numerator: b, feedthrough: generator.nextNormal()))
      }
    }
    (self.s4, self.s4d, self.rtf, self.realOutput) = (s4, s4d, rtf, realOutput)
  }

  /// The `H × L` kernels.
  func kernels() throws -> [Double] {
    switch kind {
    case .s4: return S4Kernel.kernels(s4, length: length)
    case .s4d: return S4DKernel.kernels(s4d, length: length, method: .zeroOrderHold)
    case .rtf: return try RTFKernel.kernels(rtf, length: length, correctingWrapAround: true)
    }
  }

  /// The largest difference between channel 0 of `kernels` and its power series `C Āʲ B̄` by repeated
  /// multiplication, or `nil` when that check would be too slow (N²·L or n³·log L above 2·10⁹).
  func powerSeriesDifference(_ kernels: [Double]) throws -> Double? {
    let computed = Array(kernels[0..<length])
    let reference: [Double]
    switch kind {
    case .s4:
      guard Double(order * order) * Double(length) <= 2e9 else { return nil }
      reference = try HiPPO.matrices(.legS, order: order).discretized(step: s4[0].step, method: .bilinear)
        .powerSeriesKernel(output: realOutput, length: length)
    case .s4d:
      guard Double(order * order) * Double(length) <= 2e9 else { return nil }
      let (system, c) = try s4d[0].realSystem(method: .zeroOrderHold)
      reference = system.powerSeriesKernel(output: c, length: length)
    case .rtf:
      guard Double(order * order * order) * log2(Double(length)) <= 2e9, length > 1 else { return nil }
      let weights = try rtf[0].recurrentOutputWeights(length: length)
      reference = [rtf[0].feedthrough] + rtf[0].companion().powerSeriesKernel(output: weights, length: length - 1)
    }
    return zip(computed, reference).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }
}
