import StateSpaces
import TensorCore

/// A long-convolution sequence mixer: per channel `h`, `y[t] = Σ_{s ≤ t} K_h[s]·u[t − s] + D_h·u[t]`, the
/// convolution done by FFT, with the kernel `K` from a state space:
///
/// - ``Kernel/s4d(stateSize:)`` (Gu et al. 2022): `K_h[l] = 2·Re Σ_n C_n B̄_n Ā_nˡ` from a diagonal state
///   space discretized by zero-order hold. Parameters named as in the reference S4D layer (`s4d.py` of the
///   state-spaces repository), with `M = stateSize/2` complex modes per channel and `B = 1`: `log_dt`
///   (`channels`), `log_A_real` and `A_imag` (`channels × M`; `A = −exp(log_A_real) + i·A_imag`), `C`
///   (`channels × M × 2`, real and imaginary parts).
/// - ``Kernel/rtf(order:)`` (Parnichkun et al. 2024): the impulse response of the rational transfer function
///   `(b₁z⁻¹ + … + bₙz⁻ⁿ)/(1 + a₁z⁻¹ + … + aₙz⁻ⁿ)`, computed by FFT in O(L log L) whatever the order.
///   Parameters `a` and `b` (`channels × order`), `b` being RTF's corrected numerator `b̃`: the kernel is the
///   response of `b̃/a` aliased with period L, which is the truncated response of the transfer function the
///   paper derives from it. The transfer function's own feed-through is 0; the skip term `D` plays its part.
///
/// Every mixer has the skip term `D` (`channels`). `C` and `b` are in ``ParameterGroup/decayed``, the others
/// in ``ParameterGroup/undecayed``.
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

  /// The state space that produces the kernel.
  public enum Kernel: Sendable, Equatable, Codable {
    /// A diagonal (S4D) state space of real size `stateSize` (even): `stateSize/2` complex modes.
    case s4d(stateSize: Int)
    /// A rational transfer function of the given order (RTF).
    case rtf(order: Int)

    // Coded as `{"s4d": {"state_size": N}}` or `{"rtf": {"order": N}}`, snake_case as in a run's config.json.
    private enum S4dCodingKeys: String, CodingKey { case stateSize = "state_size" }
  }

  /// The kind of kernel.
  public let kernel: Kernel
  /// The handles of the kernel's parameters in declaration order: `log_dt`, `log_A_real`, `A_imag`, `C` for
  /// S4D; `a`, `b` for RTF.
  public let kernelParameters: [ParameterID]
  /// The handle of the skip term `D`.
  public let d: ParameterID
  /// The number of channels H (the model width).
  public let channels: Int
  /// The longest sequence the mixer accepts and, for RTF, the period of its FFT kernel; `nil` accepts any
  /// length and takes each batch's sequence length as the period.
  ///
  /// An RTF kernel computed with period L is the transfer function's response aliased with period L, so its
  /// taps depend on L. A language model fixes L to its context: then the taps, and so the output at each
  /// position, do not depend on how long the rest of the sequence is, and the mixer's ``Recurrence`` (which
  /// needs L) reproduces the convolution exactly. An S4D kernel's taps do not depend on L.
  public let kernelLength: Int?
  let name: String

  /// The number of complex modes per channel (S4D) or the order (RTF).
  var modes: Int {
    switch kernel {
    case .s4d(let stateSize): return stateSize / 2
    case .rtf(let order): return order
    }
  }

  /// Declares the parameters under `name` in `layout`.
  ///
  /// - Parameters:
  ///   - name: The layer's dotted prefix.
  ///   - channels: H.
  ///   - kernel: S4D with an even state size, or RTF with a positive order.
  ///   - kernelLength: The longest sequence and the RTF period (see ``kernelLength``), above an RTF order.
  ///   - layout: Where the parameters are declared.
  /// - Throws: ``TrainingError`` for a non-positive size, an odd S4D state size or an RTF order not below
  ///   `kernelLength`, or a ``ParameterError``.
  public init(
    _ name: String, channels: Int, kernel: Kernel, kernelLength: Int? = nil, layout: inout ParameterLayout
  ) throws {
    try requirePositive(channels, "channels", name)
    if let kernelLength {
      try requirePositive(kernelLength, "kernelLength", name)
      if case .rtf(let order) = kernel, order >= kernelLength {
        throw TrainingError.invalidSize(
          layer: name, name: "order", value: order, requirement: "must be below the kernel length \(kernelLength)")
      }
    }
    self.name = name
    self.kernelLength = kernelLength
    self.channels = channels
    self.kernel = kernel
    func declare(_ suffix: String, _ shape: [Int], _ group: ParameterGroup) throws -> ParameterID {
      try layout.declare(ParameterLayout.qualified(name, suffix), shape: shape, group: group)
    }
    switch kernel {
    case .s4d(let stateSize):
      try requirePositive(stateSize, "stateSize", name)
      guard stateSize % 2 == 0 else { throw TrainingError.oddSize(layer: name, name: "stateSize", value: stateSize) }
      let modes = stateSize / 2
      kernelParameters = [
        try declare("log_dt", [channels], .undecayed), try declare("log_A_real", [channels, modes], .undecayed),
        try declare("A_imag", [channels, modes], .undecayed), try declare("C", [channels, modes, 2], .decayed),
      ]
    case .rtf(let order):
      try requirePositive(order, "order", name)
      kernelParameters = [
        try declare("a", [channels, order], .undecayed), try declare("b", [channels, order], .decayed),
      ]
    }
    d = try declare("D", [channels], .undecayed)
  }

  /// The reference initializations. S4D-Lin: `A_n = −½ + iπn`, `log Δ` uniform in `[log 0.001, log 0.1)`,
  /// `C` with independent normal parts of variance ½. RTF: `a = 0` (every pole at the origin: a finite
  /// impulse response to begin with), `b` normal with standard deviation `1/√order`. `D` standard normal.
  public func initialize(_ store: ParameterStore, using generator: inout SeededGenerator) {
    switch kernel {
    case .s4d:
      let (logMinimum, logMaximum) = (Double.logarithm(0.001), Double.logarithm(0.1))
      let step = store.values(kernelParameters[0])
      for h in 0..<channels { step[h] = Float(logMinimum + (logMaximum - logMinimum) * generator.nextUnit()) }
      store.fill(kernelParameters[1], with: Float(Double.logarithm(0.5)))
      let imaginary = store.values(kernelParameters[2])
      for i in imaginary.indices { imaginary[i] = Float(Double.pi * Double(i % modes)) }
      store.fillNormal(kernelParameters[3], standardDeviation: Float(0.5.squareRoot()), using: &generator)
    case .rtf(let order):
      store.fill(kernelParameters[0], with: 0)
      store.fillNormal(kernelParameters[1], standardDeviation: 1 / Float(order).squareRoot(), using: &generator)
    }
    store.fillNormal(d, standardDeviation: 1, using: &generator)
  }

  /// The kernel taps, `channels × length`; an RTF kernel with a ``kernelLength`` is computed with that period
  /// and its first `length` taps kept.
  func taps(_ store: ParameterStore, length: Int) throws(TrainingError) -> [Double] {
    switch kernel {
    case .s4d:
      let systems = try systems(store)
      do {
        return try S4DKernel.kernels(systems, length: length, method: .zeroOrderHold)
      } catch {
        throw .kernelFailed(layer: name, message: "\(error)")
      }
    case .rtf:
      do {
        let period = kernelLength ?? length
        let full = try RTFKernel.kernels(try transferFunctions(store), length: period)
        return period == length ? full : (0..<channels).flatMap { full[$0 * period..<$0 * period + length] }
      } catch let error as TrainingError {
        throw error
      } catch {
        throw .kernelFailed(layer: name, message: "\(error)")
      }
    }
  }

  /// The channels' transfer functions from the parameters.
  func transferFunctions(_ store: ParameterStore) throws(TrainingError) -> [TransferFunction] {
    let (a, b) = (store.values(kernelParameters[0]), store.values(kernelParameters[1]))
    let n = modes
    return try (0..<channels).map { (h) throws(TrainingError) in
      do {
        return try TransferFunction(
          denominator: (0..<n).map { Double(a[h * n + $0]) }, numerator: (0..<n).map { Double(b[h * n + $0]) },
          feedthrough: 0)
      } catch {
        throw .kernelFailed(layer: name, message: "\(error)")
      }
    }
  }

  /// The channels' diagonal systems from the parameters.
  func systems(_ store: ParameterStore) throws(TrainingError) -> [DiagonalStateSpace] {
    let (logDt, logRe, im, cs) = (
      store.values(kernelParameters[0]), store.values(kernelParameters[1]), store.values(kernelParameters[2]),
      store.values(kernelParameters[3])
    )
    let modes = modes
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
  /// An RTF kernel without a ``kernelLength`` needs `sequenceLength` above its order.
  ///
  /// - Parameters:
  ///   - input: `batch·sequenceLength × channels`.
  ///   - batch: The number of sequences.
  ///   - sequenceLength: The rows of each sequence.
  ///   - output: Shaped like `input`, overwritten.
  ///   - parameters: The store.
  ///   - workspace: Where the record's kernel lives.
  /// - Returns: What the backward pass needs.
  /// - Throws: ``TrainingError/sequenceTooLong(layer:length:maximum:)`` beyond the ``kernelLength``,
  ///   ``TrainingError/invalidValue(layer:name:value:)`` when a step `exp(log_dt)` is not finite and
  ///   positive, ``TrainingError/kernelFailed(layer:message:)`` when an RTF kernel cannot be formed (a
  ///   sequence not longer than the order, a denominator vanishing on the unit circle).
  /// - Complexity: O(H·N·L) for the kernel and O(batch·H·L log L) for the convolution.
  public func forward(
    _ input: MatrixView<Float>, batch: Int, sequenceLength: Int, into output: MutableMatrixView<Float>,
    parameters: ParameterStore, workspace: Workspace
  ) throws(TrainingError) -> Record {
    let t = sequenceLength
    requireShape(input, rows: batch * t, columns: channels, "input", name)
    requireShape(output.readOnly, rows: batch * t, columns: channels, "output", name)
    if let kernelLength, t > kernelLength { throw .sequenceTooLong(layer: name, length: t, maximum: kernelLength) }
    let kernel = try taps(parameters, length: t)
    let stored = workspace.allocate(Double.self, count: kernel.count)
    kernel.withUnsafeBufferPointer { stored.update(from: $0.baseAddress!, count: kernel.count) }
    let skip = parameters.values(d).map(Double.init)
    let mixed = convolve(channelMajor(input, batch, t), kernel: kernel, feedthrough: skip, t)
    write(mixed, into: output, batch, t, accumulate: false)
    return Record(kernel: stored, batch: batch, sequenceLength: t)
  }

  /// The vector–Jacobian product: accumulates the gradients of the kernel's parameters and `D`, and writes
  /// `du[t] = Σ_s K[s]·dy[t + s] + D·dy[t]` when asked.
  ///
  /// The kernel's gradient `dK[s] = Σ_b Σ_t dy[t]·u[t − s]` is a correlation done by FFT; the state space's
  /// own kernel gradient carries it to its parameters (for S4D, the chain rule then to the log parameters).
  ///
  /// - Throws: As the forward pass does.
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
    guard kernelParameters.contains(where: { parameters[$0].needsGradient }) else { return }
    // dK[h, s] = Σ_b conv(reverse(dy[b, h]), u[b, h])[T − 1 − s], every (b, h) row its own channel.
    let correlation = convolve(reversedGradient, kernel: u, feedthrough: [], t)
    var kernelGradient = [Double](repeating: 0, count: channels * t)
    for row in 0..<(batch * channels) {
      let h = row % channels
      for s in 0..<t { kernelGradient[h * t + s] += correlation[row * t + t - 1 - s] }
    }
    switch self.kernel {
    case .s4d: try accumulateS4DGradient(kernelGradient, parameters, t)
    case .rtf:
      // The taps past `t` of a longer period receive no gradient.
      let period = kernelLength ?? t
      var padded = [Double](repeating: 0, count: channels * period)
      for h in 0..<channels {
        for s in 0..<t { padded[h * period + s] = kernelGradient[h * t + s] }
      }
      try accumulateRTFGradient(padded, parameters, period)
    }
  }

  private func accumulateRTFGradient(_ kernelGradient: [Double], _ parameters: ParameterStore, _ t: Int) throws(TrainingError) {
    let functions = try transferFunctions(parameters)
    let (ga, gb) = (parameters.gradient(kernelParameters[0]), parameters.gradient(kernelParameters[1]))
    let (needsA, needsB) = (parameters[kernelParameters[0]].needsGradient, parameters[kernelParameters[1]].needsGradient)
    let n = modes
    for h in 0..<channels {
      let g: TransferFunctionGradients
      do {
        g = try RTFKernel.gradients(of: functions[h], outputGradient: Array(kernelGradient[h * t..<(h + 1) * t]))
      } catch {
        throw .kernelFailed(layer: name, message: "\(error)")
      }
      for m in 0..<n {
        if needsA { ga[h * n + m] += Float(g.denominator[m]) }
        if needsB { gb[h * n + m] += Float(g.numerator[m]) }
      }
    }
  }

  private func accumulateS4DGradient(_ kernelGradient: [Double], _ parameters: ParameterStore, _ t: Int) throws(TrainingError) {
    let (logStep, logNegativeARealPart, aImaginaryPart, c) = (
      kernelParameters[0], kernelParameters[1], kernelParameters[2], kernelParameters[3]
    )
    let systems = try systems(parameters)
    let (gLogDt, gLogRe, gIm, gC) = (
      parameters.gradient(logStep), parameters.gradient(logNegativeARealPart), parameters.gradient(aImaginaryPart),
      parameters.gradient(c)
    )
    let modes = modes
    for h in 0..<channels {
      let g: DiagonalStateSpaceGradients
      do {
        g = try S4DKernel.gradients(
          of: systems[h], outputGradient: Array(kernelGradient[h * t..<(h + 1) * t]), method: .zeroOrderHold)
      } catch {
        throw .kernelFailed(layer: name, message: "\(error)")
      }
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
