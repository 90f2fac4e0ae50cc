import Monarch
import TensorCore

/// The demo section of Monarch: projection error against low rank at equal parameters as the matrix gets
/// sparser, and the forward speedup over dense GEMM.
enum MonarchDemo {
  /// The file name of the section's chart.
  static let chartFile = "monarch-vs-lowrank.svg"

  static func section() throws -> DemoReport.Section {
    let rows = try MonarchExperimentCommand.run(n: 64, seeds: 5)
    var markdown = MonarchExperimentCommand.table(rows, n: 64, seeds: 5)
    let layout = try MonarchLayout(inFeatures: 1024, outFeatures: 1024, blocks: 32)
    let bench = BenchMonarchCommand.measure(layout: layout, batch: 256, operations: [.forward], rounds: 3).timings[0]
    let projection = try BenchMonarchCommand.measureProjection(layout: layout)
    markdown += "\n\n| forward 1024×1024, 32 blocks, batch 256 | result |\n|---|---|\n"
    markdown += "| dense GEMM | \(formatted(bench.denseSeconds * 1e3)) ms |\n"
    markdown += "| Monarch | \(formatted(bench.monarchSeconds * 1e3)) ms (speedup \(formatted(bench.speedup)), FLOP ratio \(formatted(bench.denseFlops / bench.monarchFlops))) |\n"
    markdown += "| projection error vs exact SVD | gap \(formatted(projection.errorGap, digits: 2)) |"
    let chart = SVGChart(
      title: "Monarch vs low rank at equal parameters (n = 64)", xLabel: "density", yLabel: "per-entry MSE",
      series: [
        .init(name: "Monarch", points: rows.map { ($0.density, $0.monarchMSE) }),
        .init(name: "rank-8 SVD", points: rows.map { ($0.density, $0.lowRankMSE) }),
      ], logX: true, logY: true)
    return DemoReport.Section(title: "Monarch", markdown: markdown, charts: [(chartFile, chart)])
  }
}
