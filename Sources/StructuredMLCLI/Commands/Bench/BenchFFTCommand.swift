import TensorCore

/// `structml bench fft`: the FFT against the naive O(n²) DFT it replaces, and a batched transform against the
/// same rows transformed one call at a time, both measured in the same run.
enum BenchFFTCommand {
  static let command = Command(
    path: ["bench", "fft"],
    summary: "complex FFT time against the naive DFT and batched rows against one call per row",
    options: [
      .value("n", "N", "transform length (default 4096)"),
      .value("rows", "R", "rows in the batched transform (default 256)"),
      .value("dtype", "TYPE", "f32 or f64 (default f64)"),
    ]
  ) { arguments, console in
    let n = try arguments.int("n", default: 4096, in: 1...(1 << 22))!
    let rows = try arguments.int("rows", default: 256, in: 1...65_536)!
    let dtype = try arguments.choice("dtype", ["f32", "f64"], default: "f64")!
    let result = dtype == "f32" ? measure(n: n, rows: rows, as: Float.self) : measure(n: n, rows: rows, as: Double.self)
    if arguments.flag("json") {
      console.print(result.json.serialized())
    } else {
      console.print("complex FFT, n = \(n), \(dtype), \(processorCount) core(s)")
      console.print("  fft:        \(formatted(result.fftSeconds * 1e6, digits: 4)) µs per transform")
      console.print("  naive DFT:  \(formatted(result.naiveSeconds * 1e6, digits: 4)) µs  (naive / fft: \(formatted(result.naiveSeconds / result.fftSeconds, digits: 4)))")
      console.print("  \(rows) rows batched:  \(formatted(result.batchedSeconds * 1e3, digits: 4)) ms")
      console.print("  \(rows) rows one by one: \(formatted(result.rowByRowSeconds * 1e3, digits: 4)) ms  (one by one / batched: \(formatted(result.rowByRowSeconds / result.batchedSeconds, digits: 4)))")
      console.print("  max |fft − naive DFT| / max |naive DFT|: \(formatted(result.relativeError))")
    }
  }

  /// The figures of one run.
  struct Result {
    let n: Int
    let rows: Int
    let dtype: String
    let fftSeconds: Double
    let naiveSeconds: Double
    let batchedSeconds: Double
    let rowByRowSeconds: Double
    let relativeError: Double

    var json: JSONValue {
      .object([
        ("n", .int(n)), ("rows", .int(rows)), ("dtype", .string(dtype)), ("threads", .int(processorCount)),
        ("fft_seconds", .number(fftSeconds)), ("naive_dft_seconds", .number(naiveSeconds)),
        ("naive_over_fft", .number(naiveSeconds / fftSeconds)),
        ("batched_seconds", .number(batchedSeconds)), ("row_by_row_seconds", .number(rowByRowSeconds)),
        ("row_by_row_over_batched", .number(rowByRowSeconds / batchedSeconds)),
        ("relative_error", .number(relativeError)),
      ])
    }
  }

  /// Times one transform of `n` points (FFT and naive DFT) and `rows` transforms (batched and one call each).
  static func measure<S: TensorScalar>(n: Int, rows: Int, as type: S.Type) -> Result {
    var generator = SeededGenerator(seed: 3)
    let batch = (0..<(n * rows)).map { _ in Complex(S(generator.nextNormal()), S(generator.nextNormal())) }
    let single = Array(batch[0..<n])
    let fftSeconds = BenchmarkTimer.median(samples: 9) { fft(single) }
    let naive = naiveDFT(single)
    let naiveSeconds = BenchmarkTimer.median(warmup: 0, samples: 3) { naiveDFT(single) }
    let spectrum = fft(single)
    let scale = naive.map { Double($0.length) }.max() ?? 1
    let error = zip(spectrum, naive).map { Double(($0 - $1).length) }.max() ?? 0
    let batchedSeconds = BenchmarkTimer.median(samples: 5) { fft(batch, length: n) }
    let rowByRowSeconds = BenchmarkTimer.median(samples: 5) {
      (0..<rows).map { fft(Array(batch[($0 * n)..<(($0 + 1) * n)])) }
    }
    return Result(
      n: n, rows: rows, dtype: S.dtypeName, fftSeconds: fftSeconds, naiveSeconds: naiveSeconds,
      batchedSeconds: batchedSeconds, rowByRowSeconds: rowByRowSeconds, relativeError: error / max(scale, 1e-300))
  }
}
