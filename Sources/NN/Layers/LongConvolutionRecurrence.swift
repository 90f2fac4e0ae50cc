import StateSpaces
import TensorCore

extension LongConvolution {
  /// The mixer run one time step at a time, as a recurrence with a fixed-size state per channel: O(H·N) per
  /// step whatever the position, for generation.
  ///
  /// - S4D: each complex mode keeps `s ← Ā s + B̄ u` (ZOH, from `DiagonalStateSpace.realSystem`) and the
  ///   output is `y = 2·Re Σ C s + D u`, the convolution with the S4D kernel term by term.
  /// - RTF: the companion recurrence of the transfer function with output weights `c = b̃ (I − Āᴸ)⁻¹`
  ///   (`TransferFunction.recurrentOutputWeights(length:)`) reproduces taps `1..<L` of the period-L kernel;
  ///   tap 0 (the aliased `h_L`) joins the skip term `D`.
  ///
  /// Made by ``LongConvolution/recurrence(parameters:)`` from the current parameters; later parameter changes
  /// do not reach it.
  public struct Recurrence: Sendable {
    fileprivate enum Dynamics: Sendable {
      /// Per channel and mode: `Ā`, `B̄` and the output weight `(2 Re C, −2 Im C)`, real and imaginary parts.
      case diagonal(ratio: [Double], input: [Double], output: [Double])
      /// Per channel: the denominator `a` and the output weights `c`, `order` each.
      case companion(denominator: [Double], weights: [Double])
    }

    private let dynamics: Dynamics
    private let skip: [Double]
    private let channels: Int
    /// The state entries per channel: complex modes (two doubles each) for S4D, the order for RTF.
    private let stateSize: Int
    private var state: [Double]

    fileprivate init(dynamics: Dynamics, skip: [Double], channels: Int, stateSize: Int) {
      self.dynamics = dynamics
      self.skip = skip
      self.channels = channels
      self.stateSize = stateSize
      state = [Double](repeating: 0, count: channels * stateSize)
    }

    /// Clears the state, as at the start of a sequence.
    public mutating func reset() { state.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }

    /// Advances one time step: reads one input row of `channels` values and writes the output row.
    ///
    /// - Complexity: O(channels·N); nothing is allocated.
    public mutating func step(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
      let (channels, size) = (channels, stateSize)
      state.withUnsafeMutableBufferPointer { state in
        switch dynamics {
        case .diagonal(let ratio, let weights, let outputs):
          let modes = size / 2
          for h in 0..<channels {
            let u = Double(input[h])
            var y = skip[h] * u
            for n in 0..<modes {
              let i = h * modes + n
              let (re, im) = (state[2 * i], state[2 * i + 1])
              let newRe = ratio[2 * i] * re - ratio[2 * i + 1] * im + weights[2 * i] * u
              let newIm = ratio[2 * i] * im + ratio[2 * i + 1] * re + weights[2 * i + 1] * u
              (state[2 * i], state[2 * i + 1]) = (newRe, newIm)
              y += outputs[2 * i] * newRe + outputs[2 * i + 1] * newIm
            }
            output[h] = Float(y)
          }
        case .companion(let denominator, let weights):
          for h in 0..<channels {
            let u = Double(input[h])
            let x = state.baseAddress! + h * size
            var y = skip[h] * u
            var feedback = 0.0
            for k in 0..<size {
              y += weights[h * size + k] * x[k]
              feedback += denominator[h * size + k] * x[k]
            }
            for k in stride(from: size - 1, to: 0, by: -1) { x[k] = x[k - 1] }
            x[0] = u - feedback
            output[h] = Float(y)
          }
        }
      }
    }
  }

  /// The recurrence equivalent to ``forward(_:batch:sequenceLength:into:parameters:workspace:)`` with the
  /// current parameters, with a zero state.
  ///
  /// - Throws: ``TrainingError/invalidSize(layer:name:value:requirement:)`` for an RTF mixer without a
  ///   ``kernelLength``; ``TrainingError/kernelFailed(layer:message:)`` or
  ///   ``TrainingError/invalidValue(layer:name:value:)`` when the parameters do not form a kernel.
  /// - Complexity: O(H·N) for S4D; O(H·(n³ log L + L log L)) for RTF.
  public func recurrence(parameters: ParameterStore) throws(TrainingError) -> Recurrence {
    var skip = parameters.values(d).map(Double.init)
    switch kernel {
    case .s4d:
      let modes = modes
      var ratio = [Double](repeating: 0, count: 2 * channels * modes)
      var input = ratio
      var output = ratio
      for (h, system) in try systems(parameters).enumerated() {
        let real: (system: StateSpaceMatrices, c: [Double])
        do {
          real = try system.realSystem(method: .zeroOrderHold)
        } catch {
          throw .kernelFailed(layer: name, message: "\(error)")
        }
        let size = 2 * modes
        for n in 0..<modes {
          let i = h * modes + n
          // The 2 × 2 block of mode n is [[Re Ā, −Im Ā], [Im Ā, Re Ā]].
          ratio[2 * i] = real.system.a.scalars[2 * n * size + 2 * n]
          ratio[2 * i + 1] = real.system.a.scalars[(2 * n + 1) * size + 2 * n]
          (input[2 * i], input[2 * i + 1]) = (real.system.b[2 * n], real.system.b[2 * n + 1])
          (output[2 * i], output[2 * i + 1]) = (real.c[2 * n], real.c[2 * n + 1])
        }
      }
      return Recurrence(
        dynamics: .diagonal(ratio: ratio, input: input, output: output), skip: skip, channels: channels,
        stateSize: 2 * modes)
    case .rtf(let order):
      guard let period = kernelLength else {
        throw .invalidSize(
          layer: name, name: "kernelLength", value: 0, requirement: "must be set for an RTF recurrence")
      }
      let functions = try transferFunctions(parameters)
      let taps = try taps(parameters, length: period)
      var denominator: [Double] = []
      var weights: [Double] = []
      denominator.reserveCapacity(channels * order)
      weights.reserveCapacity(channels * order)
      for (h, function) in functions.enumerated() {
        do {
          weights += try function.recurrentOutputWeights(length: period)
        } catch {
          throw .kernelFailed(layer: name, message: "\(error)")
        }
        denominator += function.denominator
        skip[h] += taps[h * period]
      }
      return Recurrence(
        dynamics: .companion(denominator: denominator, weights: weights), skip: skip, channels: channels,
        stateSize: order)
    }
  }
}
