import Foundation
import StateSpaces
import TensorCore
import TensorFiles

/// `structml ssm approximate`: online HiPPO approximation of a signal and its reconstruction error.
///
/// The JSON holds `spectral_radius`, `spectral_radius_bounds`, `stability` and `unstable` for the time-invariant measures only (LegS
/// runs a time-varying system with no single transition). An unstable system whose state overflows is a
/// failure (exit 1) naming the sample, never a `null` error.
enum SSMApproximateCommand {
  static let command = Command(
    path: ["ssm", "approximate"],
    summary: "stream a signal through a HiPPO system and report the reconstruction MSE",
    options: [
      StateSpaceCommandSupport.measureOption, StateSpaceCommandSupport.orderOption,
      .value("method", "METHOD", "euler, backward, bilinear or zoh (default bilinear)"),
      .input("input", "SIGNAL.npy", "1-D signal (default: sin 6πt + ½cos 14πt + t, 1000 samples)"),
      .output("svg", "OUT.svg", "draw the signal and its reconstruction"),
    ]
  ) { arguments, console in
    let measure = try StateSpaceCommandSupport.measure(arguments)
    let n = try StateSpaceCommandSupport.order(arguments, default: 32)
    let method = try StateSpaceCommandSupport.method(arguments, default: "bilinear")
    let signal = try arguments.string("input").map(readSignal) ?? referenceSignal
    let approximation = try StateSpaceCommandSupport.run {
      try OnlineApproximation(measure: measure, order: n, method: method, step: 1 / Double(signal.count))
    }
    let radius = try approximation.discreteSystem.map(StateSpaceCommandSupport.Radius.init)
    let (result, mse) = try StateSpaceCommandSupport.run { try approximation.approximating(signal) }
    let reconstruction = result.reconstruction()
    if arguments.string("svg") != nil {
      let times = signal.indices.map { Double($0) / Double(signal.count) }
      let chart = SVGChart(
        title: "HiPPO-\(measure.name) N=\(n) (\(method.rawValue)) reconstruction", xLabel: "t", yLabel: "f(t)",
        series: [
          .init(name: "signal", points: Array(zip(times, signal))),
          .init(name: "reconstruction", points: Array(zip(times, reconstruction))),
        ])
      try OutputPaths.write("svg", of: arguments) { url, inputs in
        try AtomicFile.write(Data(chart.render().utf8), to: url, protectedInputs: inputs)
      }
    }
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("measure", .string(measure.name)), ("n", .int(n)), ("method", .string(method.rawValue)),
          ("samples", .int(signal.count)), ("mse", .number(mse)),
        ] + (radius?.jsonMembers ?? [])).serialized())
    } else {
      console.print("HiPPO-\(measure.name), N = \(n), \(method.rawValue), \(signal.count) samples")
      console.print("reconstruction MSE over the whole signal: \(formatted(mse, digits: 4))")
      radius?.warnUnlessStable(console: console)
    }
  }

  /// The reference note's test signal, `f(t) = sin 6πt + ½cos 14πt + t` at `t = k/1000`.
  static let referenceSignal: [Double] = (0..<1000).map { k in
    let t = Double(k) / 1000
    return sin(6 * .pi * t) + 0.5 * cos(14 * .pi * t) + t
  }

  /// Reads a 1-D numeric `.npy` signal.
  static func readSignal(_ path: String) throws -> [Double] {
    let tensor: Tensor<Double>
    do {
      tensor = try NPYFile.read(URL(fileURLWithPath: path)).tensor(as: Double.self)
    } catch {
      throw CommandError.failure("cannot read signal \(path): \(error)")
    }
    guard tensor.rank == 1, tensor.count > 0 else {
      throw CommandError.failure("signal \(path) must be a non-empty 1-D array, got shape \(tensor.shape)")
    }
    if let index = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
      throw CommandError.failure("signal \(path) holds a non-finite value (\(tensor.scalars[index])) at index \(index)")
    }
    return tensor.scalars
  }
}
