import CKernels
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
///
/// At `A = 0` the ZOH factor `(e^{ΔA} − 1)/A` is its limit Δ (and near 0 its series), not `0/0`.
/// The parameters are checked once, in ``init(a:b:c:step:)``, and are read-only afterwards (the C kernel
/// relies on their sizes): to change one, create a new channel.
public struct DiagonalStateSpace: Sendable, Equatable {
  /// The stored eigenvalues A (N/2).
  public let a: [Complex<Double>]
  /// The input weights B (N/2).
  public let b: [Complex<Double>]
  /// The output weights C (N/2).
  public let c: [Complex<Double>]
  /// The step Δ.
  public let step: Double

  /// Creates a channel.
  ///
  /// - Parameters:
  ///   - a: The stored eigenvalues.
  ///   - b: The input weights, as many as `a`.
  ///   - c: The output weights, as many as `a`.
  ///   - step: Δ, positive and finite.
  /// - Throws: ``StateSpaceError`` when the counts differ or a value is NaN or infinite;
  ///   ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when Δ is not positive and finite.
  public init(a: [Complex<Double>], b: [Complex<Double>], c: [Complex<Double>], step: Double) throws {
    guard !a.isEmpty, b.count == a.count, c.count == a.count else {
      throw StateSpaceError.countsDisagree(operation: "S4D", tensors: ["A", "B", "C"], counts: [a.count, b.count, c.count], requirement: "they must be equal and not empty")
    }
    try StateSpaceValidation.requireFinite(a, operation: "S4D", tensor: "A")
    try StateSpaceValidation.requireFinite(b, operation: "S4D", tensor: "B")
    try StateSpaceValidation.requireFinite(c, operation: "S4D", tensor: "C")
    try StateSpaceMatrices.validate(step: step)
    (self.a, self.b, self.c, self.step) = (a, b, c, step)
  }

  /// The kernel terms of mode n, the weight `2C_n B̄_n` and the ratio `Ā_n`, as (real, imaginary) pairs.
  ///
  /// The same rules as ``discretized(_:method:)`` without the derivatives, on plain doubles: the kernel
  /// computes them for every mode of every channel, and the generic complex operators are not specialized
  /// across modules.
  func kernelTerms(_ n: Int, method: DiagonalDiscretization) -> (weight: (Double, Double), ratio: (Double, Double)) {
    let (re, im, dt) = (a[n].real, a[n].imaginary, step)
    // B̄ = B·f with f = (Ā − 1)/A (ZOH) or Δ/(1 − ΔA/2) (bilinear).
    let ratio: (Double, Double)
    let factor: (Double, Double)
    switch method {
    case .zeroOrderHold:
      let magnitude = Double.exponential(dt * re)
      ratio = (magnitude * Double.cosine(dt * im), magnitude * Double.sine(dt * im))
      if (dt * re) * (dt * re) + (dt * im) * (dt * im) < 1e-10 {
        // (e^{z} − 1)/A = Δ(1 + z/2 + z²/6) with z = ΔA, |z| < 10⁻⁵: the quotient would cancel (or be 0/0).
        let (zRe, zIm) = (dt * re, dt * im)
        factor = (dt * (1 + zRe / 2 + (zRe * zRe - zIm * zIm) / 6), dt * (zIm / 2 + zRe * zIm / 3))
      } else {
        let (numeratorRe, numeratorIm) = (ratio.0 - 1, ratio.1)
        let inverse = 1 / (re * re + im * im)
        factor = ((numeratorRe * re + numeratorIm * im) * inverse, (numeratorIm * re - numeratorRe * im) * inverse)
      }
    case .bilinear:
      let (denominatorRe, denominatorIm) = (1 - dt / 2 * re, -dt / 2 * im)
      let (numeratorRe, numeratorIm) = (1 + dt / 2 * re, dt / 2 * im)
      let inverse = 1 / (denominatorRe * denominatorRe + denominatorIm * denominatorIm)
      ratio = (
        (numeratorRe * denominatorRe + numeratorIm * denominatorIm) * inverse,
        (numeratorIm * denominatorRe - numeratorRe * denominatorIm) * inverse
      )
      factor = (dt * denominatorRe * inverse, -dt * denominatorIm * inverse)
    }
    // 2·C·B·f.
    let (cbRe, cbIm) = (c[n].real * b[n].real - c[n].imaginary * b[n].imaginary, c[n].real * b[n].imaginary + c[n].imaginary * b[n].real)
    return ((2 * (cbRe * factor.0 - cbIm * factor.1), 2 * (cbRe * factor.1 + cbIm * factor.0)), ratio)
  }

  /// The discrete pair `(Ā_n, B̄_n)` and the derivatives `dĀ/dA, dĀ/dΔ, dB̄/dA (per unit B), dB̄/dΔ (per
  /// unit B)` for the ZOH or bilinear rule.
  func discretized(_ n: Int, method: DiagonalDiscretization) -> DiscreteMode {
    let (lambda, dt) = (a[n], step)
    switch method {
    case .zeroOrderHold:
      let abar = Complex.exp(dt * lambda)
      let z = dt * lambda
      // Near A = 0 the quotients cancel (and are 0/0 at A = 0): their series in z = ΔA instead.
      let small = z.lengthSquared < 1e-10
      let unitB: Complex<Double>
      let unitBdA: Complex<Double>
      if small {
        let squared: Complex<Double> = z * z
        let series: Complex<Double> = Complex.one + Complex(0.5) * z + Complex(1.0 / 6) * squared
        let derivativeSeries: Complex<Double> = Complex(0.5) + Complex(1.0 / 3) * z + Complex(0.125) * squared
        unitB = Complex(dt) * series
        unitBdA = Complex(dt * dt) * derivativeSeries
      } else {
        unitB = (abar - .one) / lambda
        unitBdA = (dt * abar * lambda - (abar - .one)) / (lambda * lambda)
      }
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
  /// A C kernel (AVX-512, AVX2 or baseline, chosen at run time) takes blocks of 32 taps: per mode the lane
  /// powers `Āʲ`, `j < 32`, are computed once, and the block start `2C B̄ Ā^{l₀}` advances by `Ā³²`, so each
  /// (tap, mode) pair costs a quarter of a multiply-add per lane and no reduction across lanes.
  ///
  /// Finite parameters (checked by ``DiagonalStateSpace``) give finite taps when every `|Ā_n| ≤ 1`
  /// (`Re A_n ≤ 0`, every initialization of ``S4DInitialization``); a mode with `Re A_n > 0` grows like
  /// `|Ā_n|ˡ` and may overflow to ±∞ or NaN, as IEEE arithmetic gives: check `isFinite` when the
  /// parameters come from training without a constraint such as `A = −exp(A_log)`.
  ///
  /// - Parameters:
  ///   - channels: The H channels.
  ///   - length: L (at least 1).
  ///   - method: ZOH or bilinear.
  /// - Returns: `H × L` taps, row-major.
  /// - Throws: ``StateSpaceError/invalidParameter(operation:parameter:value:requirement:)`` when L < 1 or `H × L` overflows `Int`.
  /// - Complexity: O(H·N·L).
  public static func kernels(
    _ channels: [DiagonalStateSpace], length: Int, method: DiagonalDiscretization
  ) throws -> [Double] {
    try kernels(channels, length: length, method: method, vectorLevel: sml_cpu_vector_level())
  }

  /// ``kernels(_:length:method:)`` with the widest vector level of the C kernel given (0 baseline, 2 AVX2,
  /// 3 AVX-512; lowered to what the processor has), so that tests reach every variant.
  static func kernels(
    _ channels: [DiagonalStateSpace], length: Int, method: DiagonalDiscretization, vectorLevel: Int32
  ) throws -> [Double] {
    guard length >= 1 else { throw StateSpaceError.invalidParameter(operation: "S4D", parameter: "length L", value: "\(length)", requirement: "at least 1") }
    let count = try StateSpaceValidation.product([channels.count, length], operation: "S4D")
    // Every tap is written by the C kernel, so the output skips zero-filling.
    return [Double](unsafeUninitializedCapacity: count) { out, initialized in
      initialized = out.count
      guard let base = out.baseAddress else { return }
      parallelFor(channels.count) { range in
        // Per channel: weights 2C B̄ and ratios Ā (real, imaginary), then the C kernel's scratch.
        var scratch: [Double] = []
        for h in range {
          let channel = channels[h]
          let modes = channel.a.count
          let workspace = Int(SML_S4D_VANDERMONDE_WORKSPACE_PER_MODE) * modes
          scratch.removeAll(keepingCapacity: true)
          scratch.append(contentsOf: repeatElement(0, count: 4 * modes + workspace))
          for n in 0..<modes {
            let (weight, ratio) = channel.kernelTerms(n, method: method)
            (scratch[n], scratch[modes + n]) = weight
            (scratch[2 * modes + n], scratch[3 * modes + n]) = ratio
          }
          scratch.withUnsafeMutableBufferPointer { buffer in
            let p = buffer.baseAddress!
            sml_s4d_vandermonde(
              p, p + modes, p + 2 * modes, p + 3 * modes, modes, length, base + h * length, p + 4 * modes, vectorLevel)
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
  ///   - outputGradient: `g`, the gradient with respect to the kernel (L values).
  ///   - method: ZOH or bilinear.
  /// - Returns: The gradients with respect to A, B, C (N/2 each) and Δ.
  /// - Throws: ``StateSpaceError`` when `outputGradient` is empty or holds NaN or an
  ///   infinity (a NaN there would spread into every parameter's gradient).
  /// - Complexity: O(N·L).
  public static func gradients(
    of channel: DiagonalStateSpace, outputGradient: [Double], method: DiagonalDiscretization
  ) throws -> DiagonalStateSpaceGradients {
    guard !outputGradient.isEmpty else { throw StateSpaceError.emptyInput(operation: "S4D gradient", tensor: "the upstream gradient") }
    try StateSpaceValidation.requireFinite(outputGradient, operation: "S4D gradient", tensor: "the upstream gradient")
    var (gradA, gradB, gradC) = ([Complex<Double>](), [Complex<Double>](), [Complex<Double>]())
    var gradStep = 0.0
    for n in 0..<channel.a.count {
      let mode = channel.discretized(n, method: method)
      // Horner for P(z) and P′(z).
      var p = Complex<Double>.zero
      var derivative = Complex<Double>.zero
      for g in outputGradient.reversed() {
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
    return DiagonalStateSpaceGradients(a: gradA, b: gradB, c: gradC, step: gradStep)
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
