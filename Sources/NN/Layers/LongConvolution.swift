import StateSpaces
import TensorCore

/// A long-convolution sequence mixer with an S4D kernel (Gu et al. 2022): per channel `h`,
/// `y[t] = Σ_{s ≤ t} K_h[s]·u[t − s] + D_h·u[t]`, with `K_h[l] = 2·Re Σ_n C_n B̄_n Ā_nˡ` from a diagonal state
/// space discretized by zero-order hold, the convolution done by FFT.
///
/// Parameters, named as in the reference S4D layer (`s4d.py` of the state-spaces repository), with
/// `M = stateSize/2` complex modes per channel and `B = 1`:
/// `log_dt` (`channels`), `log_A_real` and `A_imag` (`channels × M`; `A = −exp(log_A_real) + i·A_imag`),
/// `C` (`channels × M × 2`, real and imaginary parts), and the skip term `D` (`channels`). All are in
/// ``ParameterGroup/undecayed`` except `C`.
///
/// Inputs are `batch·sequenceLength × channels` (rows in time order within each sequence, as everywhere in
/// this module). The kernel and the convolutions run in `Double` through `StateSpaces`' public kernel,
/// gradient and `causalConvolution` functions; this path still allocates per step.
public struct LongConvolution: Sendable {
  /// What ``forward(_:batch:sequenceLength:into:parameters:workspace:)`` keeps for the backward pass.
  public struct Record {
    /// The kernel taps, `channels × sequenceLength`, in the workspace.
    public let kernel: UnsafeMutablePointer<Double>
    /// The number of sequences.
    public let batch: Int
    /// The length of each sequence.
    public let sequenceLength: Int
  }

  /// The handle of `log_dt`.
  public let logStep: ParameterID
  /// The handle of `log_A_real`.
  public let logNegativeARealPart: ParameterID
  /// The handle of `A_imag`.
  public let aImaginaryPart: ParameterID
  /// The handle of `C`.
  public let c: ParameterID
  /// The handle of the skip term `D`.
  public let d: ParameterID
  /// The number of channels H (the model width).
  public let channels: Int
  /// The number of complex modes per channel, `stateSize/2`.
  public let modes: Int
  private let name: String

  /// Declares the parameters under `name` in `layout`.
  ///
  /// - Parameters:
  ///   - name: The layer's dotted prefix.
  ///   - channels: H.
  ///   - stateSize: N, even: the real state size (N/2 complex modes are stored).
  ///   - layout: Where the parameters are declared.
  /// - Throws: ``TrainingError`` for a non-positive or odd state size, or a ``ParameterError``.
  public init(_ name: String, channels: Int, stateSize: Int, layout: inout ParameterLayout) throws {
    try requirePositive(channels, "channels", name)
    try requirePositive(stateSize, "stateSize", name)
    guard stateSize % 2 == 0 else { throw TrainingError.oddSize(layer: name, name: "stateSize", value: stateSize) }
    self.name = name
    self.channels = channels
    self.modes = stateSize / 2
    func declare(_ suffix: String, _ shape: [Int], _ group: ParameterGroup) throws -> ParameterID {
      try layout.declare(ParameterLayout.qualified(name, suffix), shape: shape, group: group)
    }
    logStep = try declare("log_dt", [channels], .undecayed)
    logNegativeARealPart = try declare("log_A_real", [channels, modes], .undecayed)
    aImaginaryPart = try declare("A_imag", [channels, modes], .undecayed)
    c = try declare("C", [channels, modes, 2], .decayed)
    d = try declare("D", [channels], .undecayed)
  }

  /// The S4D-Lin initialization of the reference layer: `A_n = −½ + iπn`, `log Δ` uniform in
  /// `[log 0.001, log 0.1)`, `C` with independent normal parts of variance ½, `D` standard normal.
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    let (logMinimum, logMaximum) = (Double.logarithm(0.001), Double.logarithm(0.1))
    let step = store.values(logStep)
    for h in 0..<channels { step[h] = Float(logMinimum + (logMaximum - logMinimum) * generator.nextUnit()) }
    store.fill(logNegativeARealPart, with: Float(Double.logarithm(0.5)))
    let imaginary = store.values(aImaginaryPart)
    for i in imaginary.indices { imaginary[i] = Float(Double.pi * Double(i % modes)) }
    store.fillNormal(c, standardDeviation: Float(0.5.squareRoot()), using: &generator)
    store.fillNormal(d, standardDeviation: 1, using: &generator)
  }

  /// The channels' diagonal systems from the parameters.
  private func systems(_ store: ParameterStore) throws(TrainingError) -> [DiagonalStateSpace] {
    let (logDt, logRe, im, cs) = (store.values(logStep), store.values(logNegativeARealPart), store.values(aImaginaryPart), store.values(c))
    var result: [DiagonalStateSpace] = []
    result.reserveCapacity(channels)
    for h in 0..<channels {
      let a = (0..<modes).map { Complex(-Double.exponential(Double(logRe[h * modes + $0])), Double(im[h * modes + $0])) }
      let outputs = (0..<modes).map { Complex(Double(cs[2 * (h * modes + $0)]), Double(cs[2 * (h * modes + $0) + 1])) }
      let step = Double.exponential(Double(logDt[h]))
      do {
        result.append(try DiagonalStateSpace(a: a, b: Array(repeating: Complex(1), count: modes), c: outputs, step: step))
      } catch {
        throw .invalidValue(layer: name, name: "log_dt[\(h)] (step)", value: step)
      }
    }
    return result
  }

  /// Mixes every sequence along time.
  ///
  /// - Parameters:
  ///   - input: `batch·sequenceLength × channels`.
  ///   - batch: The number of sequences.
  ///   - sequenceLength: The rows of each sequence.
  ///   - output: Shaped like `input`, overwritten.
  ///   - parameters: The store.
  ///   - workspace: Where the record's kernel lives.
  /// - Returns: What the backward pass needs.
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` when a step `exp(log_dt)` is not finite and
  ///   positive.
  /// - Complexity: O(H·N·L) for the kernel and O(batch·H·L log L) for the convolution.
  public func forward(
    _ input: MatrixView<Float>, batch: Int, sequenceLength: Int, into output: MutableMatrixView<Float>,
    parameters: ParameterStore, workspace: Workspace
  ) throws(TrainingError) -> Record {
    let t = sequenceLength
    requireShape(input, rows: batch * t, columns: channels, "input", name)
    requireShape(output.readOnly, rows: batch * t, columns: channels, "output", name)
    let kernel = S4DKernel.kernels(try systems(parameters), length: t, method: .zeroOrderHold)
    let stored = workspace.allocate(Double.self, count: kernel.count)
    kernel.withUnsafeBufferPointer { stored.update(from: $0.baseAddress!, count: kernel.count) }
    let skip = parameters.values(d).map(Double.init)
    let mixed = convolve(channelMajor(input, batch, t), kernel: kernel, feedthrough: skip, t)
    write(mixed, into: output, batch, t, accumulate: false)
    return Record(kernel: stored, batch: batch, sequenceLength: t)
  }

  /// The vector–Jacobian product: accumulates the gradients of `log_dt`, `log_A_real`, `A_imag`, `C` and `D`,
  /// and writes `du[t] = Σ_s K[s]·dy[t + s] + D·dy[t]` when asked.
  ///
  /// The kernel's gradient `dK[s] = Σ_b Σ_t dy[t]·u[t − s]` is a correlation done by FFT; S4D's own
  /// gradient carries it to A, C and Δ, and the chain rule to the log parameters.
  ///
  /// - Throws: ``TrainingError/invalidValue(layer:name:value:)`` as the forward pass does.
  /// - Complexity: O(batch·H·L log L + H·N·L).
  public func backward(
    input: MatrixView<Float>, record: Record, outputGradient: MatrixView<Float>, inputGradient: InputGradient?,
    parameters: ParameterStore
  ) throws(TrainingError) {
    let (batch, t) = (record.batch, record.sequenceLength)
    requireShape(outputGradient, rows: batch * t, columns: channels, "output gradient", name)
    let u = channelMajor(input, batch, t)
    let dy = channelMajor(outputGradient, batch, t)
    let kernel = Array(UnsafeBufferPointer(start: record.kernel, count: channels * t))
    let reversedGradient = reversedInTime(dy, t)
    if let inputGradient {
      inputGradient.requireShape(rows: batch * t, columns: channels, name)
      let skip = parameters.values(d).map(Double.init)
      let du = reversedInTime(convolve(reversedGradient, kernel: kernel, feedthrough: skip, t), t)
      write(du, into: inputGradient.view, batch, t, accumulate: inputGradient.accumulates)
    }
    if parameters[d].needsGradient {
      let dD = parameters.gradient(d)
      for row in 0..<(batch * channels) {
        var sum = 0.0
        for s in 0..<t { sum += dy[row * t + s] * u[row * t + s] }
        dD[row % channels] += Float(sum)
      }
    }
    let kernelParameters = [logStep, logNegativeARealPart, aImaginaryPart, c]
    guard kernelParameters.contains(where: { parameters[$0].needsGradient }) else { return }
    // dK[h, s] = Σ_b conv(reverse(dy[b, h]), u[b, h])[T − 1 − s], every (b, h) row its own channel.
    let correlation = convolve(reversedGradient, kernel: u, feedthrough: [], t)
    var kernelGradient = [Double](repeating: 0, count: channels * t)
    for row in 0..<(batch * channels) {
      let h = row % channels
      for s in 0..<t { kernelGradient[h * t + s] += correlation[row * t + t - 1 - s] }
    }
    let systems = try systems(parameters)
    let (gLogDt, gLogRe, gIm, gC) = (
      parameters.gradient(logStep), parameters.gradient(logNegativeARealPart), parameters.gradient(aImaginaryPart),
      parameters.gradient(c)
    )
    for h in 0..<channels {
      let g = S4DKernel.gradient(
        of: systems[h], upstream: Array(kernelGradient[h * t..<(h + 1) * t]), method: .zeroOrderHold)
      // Δ = exp(log_dt); Re A = −exp(log_A_real).
      if parameters[logStep].needsGradient { gLogDt[h] += Float(g.step * systems[h].step) }
      for n in 0..<modes {
        let i = h * modes + n
        if parameters[logNegativeARealPart].needsGradient { gLogRe[i] += Float(g.a[n].real * systems[h].a[n].real) }
        if parameters[aImaginaryPart].needsGradient { gIm[i] += Float(g.a[n].imaginary) }
        if parameters[c].needsGradient {
          gC[2 * i] += Float(g.c[n].real)
          gC[2 * i + 1] += Float(g.c[n].imaginary)
        }
      }
    }
  }

  /// `batch × channels × T` in Double from a `batch·T × channels` view.
  private func channelMajor(_ x: MatrixView<Float>, _ batch: Int, _ t: Int) -> [Double] {
    var result = [Double](repeating: 0, count: batch * channels * t)
    for b in 0..<batch {
      for s in 0..<t {
        let row = x.row(b * t + s)
        for h in 0..<channels { result[(b * channels + h) * t + s] = Double(row[h]) }
      }
    }
    return result
  }

  /// Writes (or adds) a `batch × channels × T` array back into a `batch·T × channels` view.
  private func write(_ values: [Double], into view: MutableMatrixView<Float>, _ batch: Int, _ t: Int, accumulate: Bool) {
    for b in 0..<batch {
      for s in 0..<t {
        let row = view.row(b * t + s)
        for h in 0..<channels {
          let value = Float(values[(b * channels + h) * t + s])
          row[h] = accumulate ? row[h] + value : value
        }
      }
    }
  }

  private func reversedInTime(_ x: [Double], _ t: Int) -> [Double] {
    var result = x
    for row in 0..<(x.count / t) {
      for s in 0..<t { result[row * t + s] = x[row * t + t - 1 - s] }
    }
    return result
  }

  /// Causal FFT convolution of each row of `signals` with the matching row of `kernel` (repeated over the
  /// batch when `kernel` has fewer rows).
  private func convolve(_ signals: [Double], kernel: [Double], feedthrough: [Double], _ t: Int) -> [Double] {
    do {
      return try causalConvolution(signals, kernel: kernel, channels: kernel.count / t, length: t, feedthrough: feedthrough)
    } catch {
      preconditionFailure("LongConvolution: sizes were checked, yet the convolution failed: \(error)")
    }
  }
}
