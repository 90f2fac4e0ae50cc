import StateSpaces

/// The demo section of the state spaces: HiPPO-LegS reconstruction of the reference signal and the kernel
/// time of S4, S4D and RTF against the state size.
enum StateSpacesDemo {
  /// The file names of the section's charts.
  static let chartFiles = (reconstruction: "hippo-reconstruction.svg", time: "ssm-kernel-time.svg")

  static func section() throws -> DemoReport.Section {
    let signal = SSMApproximateCommand.referenceSignal
    var rows = ["| check | result |", "|---|---|"]
    var reconstruction: [Double] = []
    for method in [DiscretizationMethod.forwardEuler, .bilinear] {
      let (result, mse) = try OnlineApproximation(measure: .legS, order: 32, method: method).approximating(signal)
      rows.append("| HiPPO-LegS N=32 (\(method.rawValue)) reconstruction MSE | \(formatted(mse)) |")
      if method == .bilinear { reconstruction = result.reconstruction() }
    }
    let times = signal.indices.map { Double($0) / Double(signal.count) }
    let reconstructionChart = SVGChart(
      title: "HiPPO-LegS N=32 (bilinear) reconstruction from the final state", xLabel: "t", yLabel: "f(t)",
      series: [
        .init(name: "signal", points: Array(zip(times, signal))),
        .init(name: "reconstruction", points: Array(zip(times, reconstruction))),
      ])
    let length = 4096
    var series: [SVGChart.Series] = []
    for kind in KernelWorkload.Kind.allCases {
      var points: [(x: Double, y: Double)] = []
      for n in [16, 32, 64, 128] {
        let workload = try KernelWorkload(kind: kind, order: n, length: length, channels: 4)
        points.append((Double(n), BenchSSMCommand.time(workload)))
      }
      series.append(.init(name: kind.rawValue, points: points, markers: true))
      rows.append("| \(kind.rawValue) kernel, L=\(length), H=4, N=16 → 128 | \(formatted(points[0].y)) s → \(formatted(points[3].y)) s |")
    }
    let timeChart = SVGChart(
      title: "Kernel time against state size (L = \(length), 4 channels)", xLabel: "N", yLabel: "seconds",
      series: series, logX: true, logY: true)
    return DemoReport.Section(
      title: "State spaces", markdown: rows.joined(separator: "\n"),
      charts: [(chartFiles.reconstruction, reconstructionChart), (chartFiles.time, timeChart)])
  }
}
