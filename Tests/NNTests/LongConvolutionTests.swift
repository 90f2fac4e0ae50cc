import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// The S4D mixer in Double from its definition: `K_h[l] = 2·Re Σ_n C_n·(e^{ΔA_n} − 1)/A_n·e^{ΔA_n·l}` and a
/// direct O(T²) causal convolution plus `D·u`. Parameters in the layer's order: log_dt, log_A_real, A_imag,
/// C (re, im pairs), D.
private func referenceMixer(
  _ u: [Double], _ p: [[Double]], batch: Int, t: Int, channels: Int, modes: Int
) -> [Double] {
  let (logDt, logRe, im, c, d) = (p[0], p[1], p[2], p[3], p[4])
  var kernel = [Double](repeating: 0, count: channels * t)
  for h in 0..<channels {
    let dt = exp(logDt[h])
    for n in 0..<modes {
      let (ar, ai) = (-exp(logRe[h * modes + n]), im[h * modes + n])
      let (cr, ci) = (c[2 * (h * modes + n)], c[2 * (h * modes + n) + 1])
      // B̄ = (e^{ΔA} − 1)/A
      let (er, ei) = (exp(dt * ar) * cos(dt * ai) - 1, exp(dt * ar) * sin(dt * ai))
      let norm = ar * ar + ai * ai
      let (br, bi) = ((er * ar + ei * ai) / norm, (ei * ar - er * ai) / norm)
      for l in 0..<t {
        let magnitude = exp(dt * ar * Double(l))
        let (pr, pi) = (magnitude * cos(dt * ai * Double(l)), magnitude * sin(dt * ai * Double(l)))
        // Re(C · B̄ · Āˡ)
        let (cbr, cbi) = (cr * br - ci * bi, cr * bi + ci * br)
        kernel[h * t + l] += 2 * (cbr * pr - cbi * pi)
      }
    }
  }
  var y = [Double](repeating: 0, count: u.count)
  for b in 0..<batch {
    for s in 0..<t {
      for h in 0..<channels {
        var sum = d[h] * u[(b * t + s) * channels + h]
        for j in 0...s { sum += kernel[h * t + j] * u[(b * t + s - j) * channels + h] }
        y[(b * t + s) * channels + h] = sum
      }
    }
  }
  return y
}

@Suite("Long-convolution mixer with an S4D kernel")
struct LongConvolutionTests {
  @Test func forwardAndEveryGradientAgainstFiniteDifferences() throws {
    let (batch, t, channels, modes) = (2, 6, 3, 2)
    var layout = ParameterLayout()
    let mixer = try LongConvolution("mixer", channels: channels, kernel: .s4d(stateSize: 2 * modes), layout: &layout)
    let store = try ParameterStore(layout: layout)
    var generator = SeededGenerator(seed: 5)
    mixer.initialize(store, using: &generator)
    // Larger steps than the initialization's so the kernel decays visibly within six taps.
    store.set(mixer.kernelParameters[0], [log(0.3), log(0.5), log(0.2)].map { Double(Float($0)) })
    let ids = mixer.kernelParameters + [mixer.d]
    #expect(ids.map { store[$0].name } == ["mixer.log_dt", "mixer.log_A_real", "mixer.A_imag", "mixer.C", "mixer.D"])
    let parameters = ids.map { store.doubles($0) }
    let u = samples(batch * t * channels, seed: 6)
    let dy = samples(batch * t * channels, seed: 7)
    let m = Matrices()
    let (x, y, dx) = (m.make(batch * t, channels, u), m.make(batch * t, channels), m.make(batch * t, channels))
    let workspace = Workspace()
    let record = try mixer.forward(x.readOnly, batch: batch, sequenceLength: t, into: y, parameters: store, workspace: workspace)
    expectClose(y.elements, referenceMixer(u, parameters, batch: batch, t: t, channels: channels, modes: modes), tolerance: 1e-5, "y")
    try mixer.backward(
      input: x.readOnly, record: record, outputGradient: m.make(batch * t, channels, dy).readOnly,
      inputGradient: .overwrite(dx), parameters: store)
    withExtendedLifetime(workspace) {}
    let loss = { (u: [Double], p: [[Double]]) in
      weightedSum(referenceMixer(u, p, batch: batch, t: t, channels: channels, modes: modes), dy)
    }
    expectClose(dx.elements, finiteDifferenceGradient(of: { loss($0, parameters) }, at: u), tolerance: 1e-5, "du")
    for (k, id) in ids.enumerated() {
      let fd = finiteDifferenceGradient(of: { var p = parameters; p[k] = $0; return loss(u, p) }, at: parameters[k])
      expectClose(store.gradient(id), fd, tolerance: 1e-4, store[id].name)
    }
  }

  @Test func oddStateSizeIsAnError() {
    var layout = ParameterLayout()
    #expect(throws: TrainingError.oddSize(layer: "mixer", name: "stateSize", value: 3)) {
      try LongConvolution("mixer", channels: 2, kernel: .s4d(stateSize: 3), layout: &layout)
    }
  }

  @Test func rtfKernelForwardAndEveryGradient() throws {
    let (batch, t, channels, order) = (2, 6, 2, 2)
    var layout = ParameterLayout()
    let mixer = try LongConvolution("mixer", channels: channels, kernel: .rtf(order: order), layout: &layout)
    let store = try ParameterStore(layout: layout)
    let ids = mixer.kernelParameters + [mixer.d]
    #expect(ids.map { store[$0].name } == ["mixer.a", "mixer.b", "mixer.D"])
    // Stable denominators (small a), random numerators and skip terms.
    let parameters = [samples(channels * order, seed: 1, scale: 0.3), samples(channels * order, seed: 2), samples(channels, seed: 3)]
    for (id, values) in zip(ids, parameters) { store.set(id, values) }
    let u = samples(batch * t * channels, seed: 4)
    let dy = samples(batch * t * channels, seed: 5)
    let m = Matrices()
    let (x, y, dx) = (m.make(batch * t, channels, u), m.make(batch * t, channels), m.make(batch * t, channels))
    let workspace = Workspace()
    let record = try mixer.forward(x.readOnly, batch: batch, sequenceLength: t, into: y, parameters: store, workspace: workspace)
    expectClose(y.elements, referenceRTFMixer(u, parameters, batch: batch, t: t, channels: channels, order: order), tolerance: 1e-5, "y")
    try mixer.backward(
      input: x.readOnly, record: record, outputGradient: m.make(batch * t, channels, dy).readOnly,
      inputGradient: .overwrite(dx), parameters: store)
    withExtendedLifetime(workspace) {}
    let loss = { (u: [Double], p: [[Double]]) in
      weightedSum(referenceRTFMixer(u, p, batch: batch, t: t, channels: channels, order: order), dy)
    }
    expectClose(dx.elements, finiteDifferenceGradient(of: { loss($0, parameters) }, at: u), tolerance: 1e-5, "du")
    for (k, id) in ids.enumerated() {
      let fd = finiteDifferenceGradient(of: { var p = parameters; p[k] = $0; return loss(u, p) }, at: parameters[k])
      expectClose(store.gradient(id), fd, tolerance: 1e-4, store[id].name)
    }
  }
}

/// The RTF mixer in Double: the kernel is the impulse response `h̃` of `(Σ b_m z⁻ᵐ)/(1 + Σ a_m z⁻ᵐ)` (by its
/// difference equation) aliased with period L, `k[l] = Σ_j h̃[l + jL]`, which is what sampling the transfer
/// function at the L-th roots of unity gives; then a direct causal convolution and `D·u`.
private func referenceRTFMixer(_ u: [Double], _ p: [[Double]], batch: Int, t: Int, channels: Int, order: Int) -> [Double] {
  let (a, b, d) = (p[0], p[1], p[2])
  var kernel = [Double](repeating: 0, count: channels * t)
  let terms = 200 * t  // the response decays geometrically for these small denominators
  for h in 0..<channels {
    var response = [Double](repeating: 0, count: terms)
    for n in 0..<terms {
      var value = 0.0
      for m in 1...order where n - m >= 0 {
        value -= a[h * order + m - 1] * response[n - m]
        if n == m { value += b[h * order + m - 1] }
      }
      response[n] = value
    }
    for n in 0..<terms { kernel[h * t + n % t] += response[n] }
  }
  var y = [Double](repeating: 0, count: u.count)
  for bIndex in 0..<batch {
    for s in 0..<t {
      for h in 0..<channels {
        var sum = d[h] * u[(bIndex * t + s) * channels + h]
        for j in 0...s { sum += kernel[h * t + j] * u[(bIndex * t + s - j) * channels + h] }
        y[(bIndex * t + s) * channels + h] = sum
      }
    }
  }
  return y
}
