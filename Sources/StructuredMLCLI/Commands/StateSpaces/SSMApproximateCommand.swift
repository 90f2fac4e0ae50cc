import Foundation
import StateSpaces
import TensorCore
import TensorFiles

/// `structml ssm approximate`: online HiPPO approximation of a signal and its reconstruction error.
enum SSMApproximateCommand {
  static let command = Command(
    path: ["ssm", "approximate"],
    summary: "stream a signal through a HiPPO system and report the reconstruction MSE",
    options: [
      StateSpaceCommandSupport.measureOption, StateSpaceCommandSupport.orderOption,
      .value("method", "METHOD", "euler, backward, bilinear or zoh (default bilinear)"),
      .value("input", "SIGNAL.npy", "1-D signal (default: sin 6πt + ½cos 14πt + t, 1000 samples)"),
      .value("svg", "OUT.svg", "draw the signal and its reconstruction"),
    ]
  ) { arguments, console in
    let measure = try StateSpaceCommandSupport.measure(arguments)
    let n = try StateSpaceCommandSupport.order(arguments, default: 32)
    let method = try StateSpaceCommandSupport.method(arguments, default: "bilinear")
    let signal = try arguments.string("input").map(readSignal) ?? referenceSignal
    let approximation = try StateSpaceCommandSupport.usage {
      try OnlineApproximation(measure: measure, order: n, method: method, step: 1 / Double(signal.count))
    }
    let (result, mse) = try StateSpaceCommandSupport.usage { try approximation.approximating(signal) }
    let radius = result.discreteSpectralRadius
    if let path = arguments.string("svg") {
      let times = signal.indices.map { Double($0) / Double(signal.count) }
      let chart = SVGChart(
        title: "HiPPO-\(measure.name) N=\(n) (\(method.rawValue)) reconstruction", xLabel: "t", yLabel: "f(t)",
        series: [
          .init(name: "signal", points: Array(zip(times, signal))),
          .init(name: "reconstruction", points: Array(zip(times, result.reconstruction()))),
        ])
      do {
        try AtomicFile.write(Data(chart.render().utf8), to: URL(fileURLWithPath: path))
      } catch {
        throw CommandError.failure("cannot write \(path): \(error)")
      }
    }
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("measure", .string(measure.name)), ("n", .int(n)), ("method", .string(method.rawValue)),
          ("samples", .int(signal.count)), ("mse", .number(mse)),
          ("spectral_radius", radius.map(JSONValue.number) ?? .null), ("unstable", .bool((radius ?? 0) >= 1)),
        ]).serialized())
    } else {
      console.print("HiPPO-\(measure.name), N = \(n), \(method.rawValue), \(signal.count) samples")
      console.print("reconstruction MSE over the whole signal: \(formatted(mse, digits: 4))")
      if let radius, radius >= 1 {
        console.printError("warning: the discrete system is unstable (spectral radius \(radius) >= 1)")
      }
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
      throw CommandError.usage("signal \(path) must be a non-empty 1-D array, got shape \(tensor.shape)")
    }
    guard tensor.scalars.allSatisfy(\.isFinite) else {
      throw CommandError.usage("signal \(path) holds non-finite values")
    }
    return tensor.scalars
  }
}
