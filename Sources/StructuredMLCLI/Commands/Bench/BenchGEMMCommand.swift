#if canImport(CBLAS)
  import CBLAS
#elseif canImport(Accelerate)
  import Accelerate
#endif
import TensorCore

/// `structml bench gemm`: the single-precision GEMM rate of the BLAS back end, the baseline that the other
/// benchmarks compare against, and the overhead of the library's wrapper over a direct BLAS call.
enum BenchGEMMCommand {
  static let command = Command(
    path: ["bench", "gemm"],
    summary: "GFLOP/s of single-precision GEMM through the library and directly through the BLAS",
    options: [
      .value("n", "N", "matrix size n for an n×n×n product (default 1024)"),
      .value("threads", "T", "BLAS threads (default: all cores)"),
    ]
  ) { arguments, console in
    let n = try arguments.int("n", default: 1024, in: 1...16384)!
    let threads = try arguments.int("threads", default: processorCount, in: 1...1024)!
    let result = measure(n: n, threads: threads)
    if arguments.flag("json") {
      console.print(result.json.serialized())
    } else {
      console.print("sgemm \(n)×\(n)×\(n), \(threads) BLAS thread(s) [\(BLASThreads.configuration)]")
      console.print("  library wrapper: \(formatted(result.seconds, digits: 4)) s, \(formatted(result.gflops, digits: 4)) GFLOP/s")
      console.print("  direct BLAS:     \(formatted(result.directSeconds, digits: 4)) s, \(formatted(result.directGflops, digits: 4)) GFLOP/s")
      console.print("  wrapper / direct time: \(formatted(result.seconds / result.directSeconds, digits: 4))")
    }
  }

  struct Result {
    let n: Int
    let threads: Int
    let seconds: Double
    let directSeconds: Double
    var gflops: Double { 2 * pow3(n) / seconds * 1e-9 }
    var directGflops: Double { 2 * pow3(n) / directSeconds * 1e-9 }

    var json: JSONValue {
      .object([
        ("n", .int(n)), ("threads", .int(threads)), ("dtype", .string("F32")),
        ("seconds", .number(seconds)), ("gflops", .number(gflops)),
        ("direct_seconds", .number(directSeconds)), ("direct_gflops", .number(directGflops)),
        ("wrapper_overhead", .number(seconds / directSeconds - 1)),
        ("blas", .string(BLASThreads.configuration)),
      ])
    }
  }

  static func pow3(_ n: Int) -> Double { Double(n) * Double(n) * Double(n) }

  /// Times `n×n×n` sgemm through ``gemm(_:_:_:transposeA:transposeB:alpha:beta:)`` and through `cblas_sgemm`,
  /// alternating the two so that drift on a shared machine affects both alike.
  static func measure(n: Int, threads: Int) -> Result {
    let previousThreads = BLASThreads.current
    BLASThreads.set(threads)
    defer { BLASThreads.set(previousThreads) }
    var generator = SeededGenerator(seed: 1)
    let a = Tensor<Float>.uniform(shape: [n, n], in: -1..<1, using: &generator)
    let b = Tensor<Float>.uniform(shape: [n, n], in: -1..<1, using: &generator)
    var c = [Float](repeating: 0, count: n * n)
    let samples = BenchmarkTimer.sampleCount(forSecondsPerRun: 2 * pow3(n) / 50e9, budget: 3)
    var wrapper: [Double] = []
    var direct: [Double] = []
    a.scalars.withUnsafeBufferPointer { pa in
      b.scalars.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          let (ba, bb, bc) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
          for _ in 0..<samples {
            wrapper.append(
              BenchmarkTimer.median(warmup: wrapper.isEmpty ? 1 : 0, samples: 1) {
                gemm(
                  MatrixView(ba, rows: n, columns: n), MatrixView(bb, rows: n, columns: n),
                  MutableMatrixView(bc, rows: n, columns: n))
                return bc[0]
              })
            direct.append(
              BenchmarkTimer.median(warmup: direct.isEmpty ? 1 : 0, samples: 1) {
                let m = Int32(n)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1, ba, m, bb, m, 0, bc, m)
                return bc[0]
              })
          }
        }
      }
    }
    wrapper.sort()
    direct.sort()
    return Result(
      n: n, threads: threads, seconds: wrapper[wrapper.count / 2], directSeconds: direct[direct.count / 2])
  }
}
