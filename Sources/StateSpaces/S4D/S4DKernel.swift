import CRelaxed
import TensorCore

/// One channel of a diagonal state space (S4D): N/2 complex eigenvalues with their input and output weights
/// and a step, standing for the real system of size N made of them and their conjugates.
///
/// The kernel is a Vandermonde sum, `K_l = 2·Re Σ_n C_n B̄_n Ā_nˡ`, with
///
/// ```
/// ZOH       Ā = e^{ΔA},                 B̄ = B (e^{ΔA} − 1)/A
/// bilinear  Ā = (1 + ΔA/2)/(1 − ΔA/2),  B̄ = ΔB/(1 − ΔA/2)
/// ```
public struct DiagonalStateSpace: Sendable, Equatable {
  /// The stored eigenvalues A (N/2).
  public var a: [Complex<Double>]
  /// The input weights B (N/2).
  public var b: [Complex<Double>]
  /// The output weights C (N/2).
  public var c: [Complex<Double>]
  /// The step Δ.
  public var step: Double

  /// Creates a channel.
  ///
  /// - Parameters:
  ///   - a: The stored eigenvalues.
  ///   - b: The input weights, as many as `a`.
  ///   - c: The output weights, as many as `a`.
  ///   - step: Δ, positive and finite.
  /// - Throws: ``StateSpaceError`` when the counts differ or Δ is not positive and finite.
  public init(a: [Complex<Double>], b: [Complex<Double>], c: [Complex<Double>], step: Double) throws {
    guard !a.isEmpty, b.count == a.count, c.count == a.count else {
      throw StateSpaceError.invalidInput("S4D: A, B, C have \(a.count), \(b.count), \(c.count) entries")
    }
    try StateSpaceMatrices.validate(step: step)
    (self.a, self.b, self.c, self.step) = (a, b, c, step)
  }

  /// The discrete pair `(Ā_n, B̄_n)` and the derivatives `dĀ/dA, dĀ/dΔ, dB̄/dA (per unit B), dB̄/dΔ (per
  /// unit B)` for the ZOH or bilinear rule.
  func discretized(_ n: Int, method: DiagonalDiscretization) -> DiscreteMode {
    let (lambda, dt) = (a[n], step)
    switch method {
    case .zeroOrderHold:
      let abar = Complex.exp(dt * lambda)
      let unitB = (abar - .one) / lambda
      let unitBdA = (dt * abar * lambda - (abar - .one)) / (lambda * lambda)
      return DiscreteMode(
        aBar: abar, bBar: unitB * b[n], aBarByA: dt * abar, aBarByStep: lambda * abar, unitBByA: unitBdA,
        unitBByStep: abar, unitB: unitB)
    case .bilinear:
      let denominator = Complex<Double>.one - (dt / 2) * lambda
      let abar = (Complex<Double>.one + (dt / 2) * lambda) / denominator
      let squared = denominator * denominator
      return DiscreteMode(
        aBar: abar, bBar: dt * b[n] / denominator, aBarByA: Complex(dt) / squared,
        aBarByStep: lambda / squared, unitBByA: Complex(dt * dt / 2) / squared, unitBByStep: .one / squared,
        unitB: Complex(dt) / denominator)
    }
  }
}

/// The discretization rules S4D supports.
public enum DiagonalDiscretization: String, Sendable, CaseIterable {
  /// Zero-order hold.
  case zeroOrderHold = "zoh"
  /// The bilinear transform.
  case bilinear = "bilinear"
}

/// One discretized mode with the derivatives the kernel gradient needs.
struct DiscreteMode {
  let aBar: Complex<Double>
  let bBar: Complex<Double>
  let aBarByA: Complex<Double>
  let aBarByStep: Complex<Double>
  let unitBByA: Complex<Double>
  let unitBByStep: Complex<Double>
  let unitB: Complex<Double>
}

/// The S4D convolution kernel and its gradient.
public enum S4DKernel {
  /// The kernels of H channels, `K_l = 2·Re Σ_n C_n B̄_n Ā_nˡ`, channels in parallel.
  ///
  /// Powers come by repeated multiplication, vectorized across the modes; the reduction over modes is relaxed.
  ///
  /// - Parameters:
  ///   - channels: The H channels.
  ///   - length: L (at least 1).
  ///   - method: ZOH or bilinear.
  /// - Returns: `H × L` taps, row-major.
  /// - Complexity: O(H·N·L).
  public static func kernels(
    _ channels: [DiagonalStateSpace], length: Int, method: DiagonalDiscretization
  ) -> [Double] {
    precondition(length >= 1, "S4DKernel: length \(length) must be at least 1")
    var output = [Double](repeating: 0, count: channels.count * length)
    output.withUnsafeMutableBufferPointer { out in
      let base = out.baseAddress!
      parallelFor(channels.count) { range in
        for h in range {
          let channel = channels[h]
          let modes = channel.a.count
          var powerRe = [Double](repeating: 0, count: modes)
          var powerIm = [Double](repeating: 0, count: modes)
          var ratioRe = [Double](repeating: 0, count: modes)
          var ratioIm = [Double](repeating: 0, count: modes)
          for n in 0..<modes {
            let mode = channel.discretized(n, method: method)
            let weight = channel.c[n] * mode.bBar
            (powerRe[n], powerIm[n]) = (2 * weight.real, 2 * weight.imaginary)
            (ratioRe[n], ratioIm[n]) = (mode.aBar.real, mode.aBar.imaginary)
          }
          vandermondeSum(
            &powerRe, &powerIm, ratioRe, ratioIm, into: UnsafeMutableBufferPointer(start: base + h * length, count: length))
        }
      }
    }
    return output
  }

  /// `out[l] = Re Σ_n w_n z_nˡ`, the powers advanced in place.
  private static func vandermondeSum(
    _ wRe: inout [Double], _ wIm: inout [Double], _ zRe: [Double], _ zIm: [Double],
    into out: UnsafeMutableBufferPointer<Double>
  ) {
    let modes = zRe.count
    wRe.withUnsafeMutableBufferPointer { wr in
      wIm.withUnsafeMutableBufferPointer { wi in
        zRe.withUnsafeBufferPointer { zr in
          zIm.withUnsafeBufferPointer { zi in
            for l in 0..<out.count {
              var sum = 0.0
              for n in 0..<modes {
                sum = sml_add_d(sum, wr[n])
                let re = wr[n] * zr[n] - wi[n] * zi[n]
                wi[n] = wr[n] * zi[n] + wi[n] * zr[n]
                wr[n] = re
              }
              out[l] = sum
            }
          }
        }
      }
    }
  }

  /// The gradient of `Σ_l g_l K_l` for one channel with respect to its parameters.
  ///
  /// Complex parameters get `∂/∂Re + i·∂/∂Im`. With `P(z) = Σ_l g_l zˡ`, each mode contributes
  /// `2·Re[C B̄ P(Ā)]`, so `∂/∂C = B̄ P(Ā)`, `∂/∂B = C (B̄/B) P(Ā)`, `∂/∂A = C[(∂B̄/∂A) P(Ā) + B̄ P′(Ā) ∂Ā/∂A]`
  /// (holomorphic derivatives, conjugated and doubled for the real and imaginary parts) and
  /// `∂/∂Δ = 2·Re Σ_n C[(∂B̄/∂Δ) P(Ā) + B̄ P′(Ā) ∂Ā/∂Δ]`.
  ///
  /// - Parameters:
  ///   - channel: The channel.
  ///   - upstream: `g`, the gradient with respect to the kernel (L values).
  ///   - method: ZOH or bilinear.
  /// - Returns: The gradients with respect to A, B, C (N/2 each) and Δ.
  /// - Complexity: O(N·L).
  public static func gradient(
    of channel: DiagonalStateSpace, upstream: [Double], method: DiagonalDiscretization
  ) -> (a: [Complex<Double>], b: [Complex<Double>], c: [Complex<Double>], step: Double) {
    var (gradA, gradB, gradC) = ([Complex<Double>](), [Complex<Double>](), [Complex<Double>]())
    var gradStep = 0.0
    for n in 0..<channel.a.count {
      let mode = channel.discretized(n, method: method)
      // Horner for P(z) and P′(z).
      var p = Complex<Double>.zero
      var derivative = Complex<Double>.zero
      for g in upstream.reversed() {
        derivative = derivative * mode.aBar + p
        p = p * mode.aBar + Complex(g)
      }
      let c = channel.c[n]
      let b = channel.b[n]
      let byC = mode.bBar * p
      let byB = c * mode.unitB * p
      let byA = c * (b * mode.unitBByA * p + mode.bBar * derivative * mode.aBarByA)
      let byStep = c * (b * mode.unitBByStep * p + mode.bBar * derivative * mode.aBarByStep)
      gradC.append(2 * byC.conjugate)
      gradB.append(2 * byB.conjugate)
      gradA.append(2 * byA.conjugate)
      gradStep += 2 * byStep.real
    }
    return (gradA, gradB, gradC, gradStep)
  }
}

extension DiagonalStateSpace {
  /// The equivalent real discrete system of size N: one 2 × 2 rotation-scaling block per stored mode, with
  /// `B̄` split into real and imaginary parts and output row `[2 Re C, −2 Im C]`.
  ///
  /// - Parameter method: ZOH or bilinear.
  /// - Returns: `(Ā, B̄)` and the output row.
  public func realSystem(method: DiagonalDiscretization) throws -> (system: StateSpaceMatrices, c: [Double]) {
    let m = a.count
    var matrix = [Double](repeating: 0, count: 4 * m * m)
    var input = [Double](repeating: 0, count: 2 * m)
    var output = [Double](repeating: 0, count: 2 * m)
    for n in 0..<m {
      let mode = discretized(n, method: method)
      let (row, next) = (2 * n * 2 * m, (2 * n + 1) * 2 * m)
      (matrix[row + 2 * n], matrix[row + 2 * n + 1]) = (mode.aBar.real, -mode.aBar.imaginary)
      (matrix[next + 2 * n], matrix[next + 2 * n + 1]) = (mode.aBar.imaginary, mode.aBar.real)
      (input[2 * n], input[2 * n + 1]) = (mode.bBar.real, mode.bBar.imaginary)
      (output[2 * n], output[2 * n + 1]) = (2 * c[n].real, -2 * c[n].imaginary)
    }
    return (try StateSpaceMatrices(a: Tensor(shape: [2 * m, 2 * m], scalars: matrix), b: input), output)
  }
}
