import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@Suite("Long-convolution mixer run as a recurrence")
struct LongConvolutionRecurrenceTests {
  /// The mixer's FFT convolution of one sequence of `t` rows, and the recurrence stepped through the same rows.
  private func bothWays(_ kernel: LongConvolution.Kernel, kernelLength: Int, t: Int) throws -> (convolution: [Float], recurrence: [Double]) {
    let channels = 3
    var layout = ParameterLayout()
    let mixer = try LongConvolution("mixer", channels: channels, kernel: kernel, kernelLength: kernelLength, layout: &layout)
    let store = try ParameterStore(layout: layout)
    var generator = SeededGenerator(seed: 8)
    mixer.initialize(store, using: &generator)
    if case .rtf(let order) = kernel {
      // Poles off the origin, so the response is infinite and the period-L aliasing matters.
      store.set(mixer.kernelParameters[0], samples(channels * order, seed: 2, scale: 0.3))
    } else {
      store.set(mixer.kernelParameters[0], [0.1, 0.3, 0.05].map { Double(Float(log($0))) })
    }
    let u = samples(t * channels, seed: 4)
    let m = Matrices()
    let (x, y) = (m.make(t, channels, u), m.make(t, channels))
    let workspace = Workspace()
    _ = try mixer.forward(x.readOnly, batch: 1, sequenceLength: t, into: y, parameters: store, workspace: workspace)
    var recurrence = try mixer.recurrence(parameters: store)
    var stepped = [Double]()
    var output = [Float](repeating: 0, count: channels)
    for s in 0..<t {
      output.withUnsafeMutableBufferPointer { recurrence.step(x.readOnly.row(s), into: $0.baseAddress!) }
      stepped += output.map(Double.init)
    }
    return (y.elements, stepped)
  }

  @Test(arguments: [LongConvolution.Kernel.s4d(stateSize: 8), .rtf(order: 3)])
  func recurrenceReproducesTheConvolutionAtEveryStep(_ kernel: LongConvolution.Kernel) throws {
    for t in [32, 19] {
      let (convolution, recurrence) = try bothWays(kernel, kernelLength: 32, t: t)
      expectClose(convolution, recurrence, tolerance: 1e-5, "\(kernel), \(t) of 32 steps")
    }
  }

  @Test func rtfRecurrenceNeedsAKernelLength() throws {
    var layout = ParameterLayout()
    let mixer = try LongConvolution("mixer", channels: 2, kernel: .rtf(order: 2), layout: &layout)
    #expect(throws: TrainingError.self) { try mixer.recurrence(parameters: try ParameterStore(layout: layout)) }
    #expect(throws: TrainingError.sequenceTooLong(layer: "m", length: 9, maximum: 8)) {
      var layout = ParameterLayout()
      let bounded = try LongConvolution("m", channels: 1, kernel: .s4d(stateSize: 2), kernelLength: 8, layout: &layout)
      let m = Matrices()
      _ = try bounded.forward(
        m.make(9, 1).readOnly, batch: 1, sequenceLength: 9, into: m.make(9, 1), parameters: try ParameterStore(layout: layout),
        workspace: Workspace())
    }
  }
}
