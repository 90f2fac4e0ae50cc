import TensorCore

/// The demo section of the numeric core: GEMM checked against a naive product, with timings.
enum FoundationDemo {
  static func section() throws -> DemoReport.Section {
    var generator = SeededGenerator(seed: 2024)
    let n = 96
    let a = Tensor<Double>.normal(shape: [n, n], using: &generator)
    let b = Tensor<Double>.normal(shape: [n, n], using: &generator)
    let product = matmul(a, b)
    var worst = 0.0
    for i in 0..<n {
      for j in 0..<n {
        var sum = 0.0
        for p in 0..<n { sum += a[i, p] * b[p, j] }
        worst = max(worst, abs(sum - product[i, j]))
      }
    }
    var rows = ["| check | result |", "|---|---|"]
    rows.append("| GEMM \(n)×\(n)×\(n) vs naive triple loop (Double) | max abs difference \(formatted(worst)) |")
    var series: [(x: Double, y: Double)] = []
    for size in [128, 256, 512] {
      let result = BenchGEMMCommand.measure(n: size, threads: processorCount)
      series.append((Double(size), result.gflops))
      rows.append("| sgemm \(size)³ | \(formatted(result.gflops)) GFLOP/s |")
    }
    let chart = SVGChart(
      title: "Single-precision GEMM rate", xLabel: "n (n×n×n product)", yLabel: "GFLOP/s",
      series: [.init(name: "sgemm", points: series)])
    return DemoReport.Section(
      title: "Numeric core", markdown: rows.joined(separator: "\n"), charts: [("gemm-rate.svg", chart)])
  }
}
