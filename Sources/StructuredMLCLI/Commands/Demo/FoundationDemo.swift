import Dispatch
import TensorCore

/// The demo section of the numeric core: GEMM checked against a naive product, SVD reconstruction and
/// orthogonality, and the FFT against the naive DFT, with timings.
enum FoundationDemo {
  /// The file name of the section's chart.
  static let chartFile = "gemm-rate.svg"

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
    rows.append(try svdRow(using: &generator))
    rows.append(fftRow(using: &generator))
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
      title: "Numeric core", markdown: rows.joined(separator: "\n"), charts: [(chartFile, chart)])
  }

  /// Decomposes a random 300 × 200 matrix and reports `‖UΣVᵀ − A‖`, `‖UᵀU − I‖`, `‖VᵀV − I‖` and the time.
  static func svdRow(using generator: inout SeededGenerator) throws -> String {
    let a = Tensor<Double>.normal(shape: [300, 200], using: &generator)
    let start = DispatchTime.now().uptimeNanoseconds
    let svd = try singularValueDecomposition(a)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    let reconstruction = svd.reconstructed().maxAbsDifference(a)
    let leftGram = matmul(svd.u, svd.u, transposeA: true).maxAbsDifference(Tensor(identity: 200))
    let rightGram = matmul(svd.vt, svd.vt, transposeB: true).maxAbsDifference(Tensor(identity: 200))
    return "| SVD 300×200 (Double), \(formatted(seconds * 1e3)) ms | max abs UΣVᵀ − A \(formatted(reconstruction)), "
      + "UᵀU − I \(formatted(leftGram)), VᵀV − I \(formatted(rightGram)) |"
  }

  /// Transforms 4096 complex points with the FFT and with the naive DFT and reports the difference and times.
  static func fftRow(using generator: inout SeededGenerator) -> String {
    let n = 4096
    let x = (0..<n).map { _ in Complex(generator.nextNormal(), generator.nextNormal()) }
    var spectrum: [Complex<Double>] = []
    var reference: [Complex<Double>] = []
    let fftSeconds = BenchmarkTimer.median(samples: 5) {
      spectrum = fft(x)
      return spectrum.count
    }
    let naiveSeconds = BenchmarkTimer.median(warmup: 0, samples: 1) {
      reference = naiveDFT(x)
      return reference.count
    }
    let worst = zip(spectrum, reference).map { ($0 - $1).length }.max() ?? 0
    return "| FFT n = \(n) vs naive DFT (Double): \(formatted(fftSeconds * 1e6)) µs vs \(formatted(naiveSeconds * 1e3)) ms "
      + "(\(formatted(naiveSeconds / fftSeconds)) × faster) | max abs difference \(formatted(worst)) |"
  }
}
