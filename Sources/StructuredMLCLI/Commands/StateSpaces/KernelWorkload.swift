import Foundation
import StateSpaces
import TensorCore

/// Seeded kernel parameters of one family for H channels, and the kernel computation that `ssm kernel` and
/// `bench ssm` time.
struct KernelWorkload {
  enum Kind: String, CaseIterable { case s4, s4d, rtf }

  /// The largest S4 state size run without `--allow-large-setup`: the DPLR setup is O(N³) (a symmetric
  /// eigendecomposition of order 2N and `log₂ L` squarings of an N × N matrix), about 10 s at N = 1024 and
  /// 64 times that at N = 4096 on one core.
  static let largestDefaultS4Order = 1024

  let kind: Kind
  let order: Int
  let length: Int
  let channels: Int
  /// Seconds spent building the parameters (for S4 the O(N³) DPLR decomposition and the C̃ correction).
  let setupSeconds: Double
  private let s4: [S4Channel]
  private let s4d: [DiagonalStateSpace]
  private let rtf: [TransferFunction]
  /// The real output row of channel 0 (S4), for the power-series check.
  private let realOutput: [Double]

  /// Builds seeded parameters: S4 from the LegS DPLR with random C̃, S4D-Lin with B = 1 and random C, RTF with
  /// the `montel` initialization `a ~ U(±1/n)`; Δ log-uniform in [10⁻³, 10⁻¹] per channel.
  ///
  /// - Parameter progress: Called with a stage name before each setup stage.
  init(
    kind: Kind, order: Int, length: Int, channels: Int, seed: UInt64 = 42, progress: (String) -> Void = { _ in }
  ) throws {
    (self.kind, self.order, self.length, self.channels) = (kind, order, length, channels)
    let start = DispatchTime.now().uptimeNanoseconds
    var generator = SeededGenerator(seed: seed)
    let steps = (0..<channels).map { _ in exp(log(1e-3) + generator.nextUnit() * log(100.0)) }
    var (s4, s4d, rtf, realOutput) = ([S4Channel](), [DiagonalStateSpace](), [TransferFunction](), [Double]())
    switch kind {
    case .s4:
      progress("DPLR decomposition (O(N³))")
      let decomposition = try DPLRDecomposition(measure: .legS, order: order)
      realOutput = (0..<order).map { _ in generator.nextNormal() }
      if Self.powerSeriesIsAffordable(kind: kind, order: order, length: length) {
        progress("C̃ correction (O(N³ log L))")
        s4.append(try decomposition.channel(output: realOutput, step: steps[0], length: length))
      }
      progress("channels")
      while s4.count < channels {
        let c = decomposition.eigenvalues.map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
        s4.append(
          try S4Channel(
            eigenvalues: decomposition.eigenvalues, lowRank: decomposition.lowRank, input: decomposition.input,
            output: c, step: steps[s4.count]))
      }
    case .s4d:
      let a = try S4DInitialization.linear.eigenvalues(order: order)
      let b = a.map { _ in Complex<Double>.one }
      for h in 0..<channels {
        let c = a.map { _ in Complex(generator.nextNormal() / 2.squareRoot(), generator.nextNormal() / 2.squareRoot()) }
        s4d.append(try DiagonalStateSpace(a: a, b: b, c: c, step: steps[h]))
      }
    case .rtf:
      for _ in 0..<channels {
        let a = (0..<order).map { _ in (2 * generator.nextUnit() - 1) / Double(order) }
        let b = (0..<order).map { _ in generator.nextNormal() }
        rtf.append(try TransferFunction(denominator: a, numerator: b, feedthrough: generator.nextNormal()))
      }
    }
    (self.s4, self.s4d, self.rtf, self.realOutput) = (s4, s4d, rtf, realOutput)
    setupSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
  }

  /// The bytes a workload of these sizes holds at its peak in `ssm kernel`: the parameters, the `H × L`
  /// kernels with the FFT's spectra, and the copy written to `--output`; computed in `Double`, so that no
  /// product of sizes can overflow.
  static func estimatedBytes(kind: Kind, order: Int, length: Int, channels: Int, writesOutput: Bool) -> Double {
    let (n, l, h) = (Double(order), Double(length), Double(channels))
    let parameters: Double
    switch kind {
    case .s4: parameters = 8 * (2 * n) * (2 * n) * 3 + 8 * n * n * 6 + h * 16 * (n / 2) * 5
    case .s4d: parameters = h * 16 * (n / 2) * 2
    case .rtf: parameters = h * 8 * (2 * n + 1) + h * l * 8 * 4
    }
    return parameters + h * l * 8 * (writesOutput ? 3 : 1) + 16 * (l / 2 + 1) * 16
  }

  /// Whether the power-series check of channel 0 is cheap enough (N²·L or n³·log L at most 2·10⁹).
  static func powerSeriesIsAffordable(kind: Kind, order: Int, length: Int) -> Bool {
    let (n, l) = (Double(order), Double(length))
    switch kind {
    case .s4, .s4d: return n * n * l <= 2e9
    case .rtf: return n * n * n * log2(max(l, 2)) <= 2e9 && length > 1
    }
  }

  /// The `H × L` kernels, computed in blocks of channels so that `progress` can report the fraction done.
  ///
  /// - Parameter progress: Called with the number of channels done after each block.
  func kernels(progress: (Int) -> Void = { _ in }) throws -> [Double] {
    var result: [Double] = []
    result.reserveCapacity(channels * length)
    let block = max(1, channels / 20)
    for start in stride(from: 0, to: channels, by: block) {
      let range = start..<min(channels, start + block)
      switch kind {
      case .s4: result += try S4Kernel.kernels(Array(s4[range]), length: length)
      case .s4d: result += try S4DKernel.kernels(Array(s4d[range]), length: length, method: .zeroOrderHold)
      case .rtf: result += try RTFKernel.kernels(Array(rtf[range]), length: length, correctingWrapAround: true)
      }
      progress(range.upperBound)
    }
    return result
  }

  /// The largest difference between channel 0 of `kernels` and its power series `C Āʲ B̄` by repeated
  /// multiplication, or `nil` when that check would be too slow (see ``powerSeriesIsAffordable``).
  func powerSeriesDifference(_ kernels: [Double]) throws -> Double? {
    guard Self.powerSeriesIsAffordable(kind: kind, order: order, length: length) else { return nil }
    let computed = Array(kernels[0..<length])
    let reference: [Double]
    switch kind {
    case .s4:
      reference = try HiPPO.matrices(.legS, order: order).discretized(step: s4[0].step, method: .bilinear)
        .powerSeriesKernel(output: realOutput, length: length)
    case .s4d:
      let (system, c) = try s4d[0].realSystem(method: .zeroOrderHold)
      reference = try system.powerSeriesKernel(output: c, length: length)
    case .rtf:
      let weights = try rtf[0].recurrentOutputWeights(length: length)
      reference = [rtf[0].feedthrough] + (try rtf[0].companion().powerSeriesKernel(output: weights, length: length - 1))
    }
    // A NaN would vanish in `max`, so non-finite taps are a failure before the comparison.
    guard computed.allSatisfy(\.isFinite) else {
      throw CommandError.failure("\(kind.rawValue) kernel: channel 0 holds non-finite taps")
    }
    guard reference.allSatisfy(\.isFinite) else {
      throw CommandError.failure("\(kind.rawValue) kernel: the power series C Ā^k B̄ of channel 0 overflows")
    }
    return zip(computed, reference).reduce(0) { max($0, abs($1.0 - $1.1)) }
  }
}
