import Foundation
import Monarch
import TensorCore

/// `structml bench monarch`: Monarch forward against dense GEMM on the same shapes, and Monarch projection
/// against one dense `n×n×n` GEMM, all measured in the same run.
enum BenchMonarchCommand {
  static let command = Command(
    path: ["bench", "monarch"],
    summary: "Monarch forward vs dense GEMM, and projection time vs one n×n×n GEMM",
    options: [
      .value("n", "N", "matrix size n (default 4096)"),
      .value("batch", "B", "rows of the batch (default 1024)"),
      .value("blocks", "K", "blocks of both factors (default √n rounded down to a power of 2)"),
      .value("rank", "R", "slice rank (default max(1, n / K²))"),
    ]
  ) { arguments, console in
    let n = try arguments.int("n", default: 4096, in: 1...16384)!
    let batch = try arguments.int("batch", default: 1024, in: 1...65536)!
    var defaultBlocks = 1
    while (2 * defaultBlocks) * (2 * defaultBlocks) <= n { defaultBlocks *= 2 }
    let blocks = try arguments.int("blocks", default: defaultBlocks, in: 1...n)!
    let layout: MonarchLayout
    do {
      layout = try MonarchLayout(
        inFeatures: n, outFeatures: n, blocks: blocks, rank: try arguments.int("rank", in: 1...n))
    } catch {
      throw CommandError.usage("\(error)")
    }
    let result = try measure(layout: layout, batch: batch)
    if arguments.flag("json") {
      console.print(result.json.serialized())
    } else {
      console.print(result.summary)
    }
  }

  struct Result {
    let layout: MonarchLayout
    let batch: Int
    let denseSeconds: Double
    let monarchSeconds: Double
    let projectionSeconds: Double
    let squareGemmSeconds: Double
    let projectionError: Double
    let exactError: Double
    let norm: Double

    var n: Int { layout.inFeatures }
    var denseFlops: Double { 2 * Double(batch) * Double(n) * Double(n) }
    var monarchFlops: Double { Double(batch) * Double(layout.flopsPerRow) }
    var denseGflops: Double { denseFlops / denseSeconds * 1e-9 }
    var monarchGflops: Double { monarchFlops / monarchSeconds * 1e-9 }
    var errorGap: Double { exactError > 0 ? abs(projectionError - exactError) / exactError : abs(projectionError) }

    var json: JSONValue {
      .object([
        ("n", .int(n)), ("batch", .int(batch)), ("blocks", .int(layout.inBlocks)),
        ("rank", layout.sliceRank.map { .int($0) } ?? .null), ("threads", .int(processorCount)),
        ("dense_seconds", .number(denseSeconds)), ("monarch_seconds", .number(monarchSeconds)),
        ("dense_gflops", .number(denseGflops)), ("monarch_gflops", .number(monarchGflops)),
        ("gflops_ratio", .number(monarchGflops / denseGflops)),
        ("flop_ratio", .number(denseFlops / monarchFlops)), ("speedup", .number(denseSeconds / monarchSeconds)),
        ("projection_seconds", .number(projectionSeconds)), ("square_gemm_seconds", .number(squareGemmSeconds)),
        ("projection_to_gemm", .number(projectionSeconds / squareGemmSeconds)),
        ("projection_relative_error", .number(projectionError / norm)),
        ("exact_relative_error", .number(exactError / norm)), ("error_gap", .number(errorGap)),
        ("blas", .string(BLASThreads.configuration)),
      ])
    }

    var summary: String {
      """
      Monarch \(n)×\(n), \(layout.inBlocks) blocks, slice rank \(layout.sliceRank ?? 0), batch \(batch), \
      \(processorCount) core(s) [\(BLASThreads.configuration)]
        dense GEMM:      \(formatted(denseSeconds, digits: 4)) s, \(formatted(denseGflops, digits: 4)) GFLOP/s
        Monarch forward: \(formatted(monarchSeconds, digits: 4)) s, \(formatted(monarchGflops, digits: 4)) GFLOP/s \
      (\(formatted(100 * monarchGflops / denseGflops, digits: 3))% of dense)
        FLOP ratio \(formatted(denseFlops / monarchFlops, digits: 4)), wall-clock speedup \
      \(formatted(denseSeconds / monarchSeconds, digits: 4))
        projection of \(n)×\(n): \(formatted(projectionSeconds, digits: 4)) s; one \(n)³ GEMM: \
      \(formatted(squareGemmSeconds, digits: 4)) s (ratio \(formatted(projectionSeconds / squareGemmSeconds, digits: 3)))
        projection relative error \(formatted(projectionError / norm, digits: 7)), exact SVD \
      \(formatted(exactError / norm, digits: 7)) (gap \(formatted(errorGap, digits: 2)))
      """
    }
  }

  static func seconds(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }

  /// How long the forward runs untimed before each Monarch sample. After a multi-threaded GEMM the OpenBLAS
  /// workers keep polling (`sched_yield`) for about 0.1 s and, on two cores, take a whole core from the Monarch
  /// tiles (doubling their time); an idle pause instead lets the clock drop (the first forward after 0.2 s
  /// idle takes twice as long as the next). Running first measures a steady stream of forwards, as in a model.
  /// Small shapes warm for at most 50 times the estimated dense time (their GEMMs leave no polling workers).
  static let monarchWarmSeconds = 0.15

  /// Times dense and Monarch forward (alternating, medians; each Monarch sample the median of 3 forwards after
  /// `monarchWarmSeconds` of untimed ones), projection and one square GEMM.
  static func measure(layout: MonarchLayout, batch: Int) throws -> Result {
    let previousThreads = BLASThreads.current
    defer { BLASThreads.set(previousThreads) }
    let n = layout.inFeatures
    var generator = SeededGenerator(seed: 3)
    let x = Tensor<Float>.uniform(shape: [batch, n], in: -1..<1, using: &generator)
    let w = Tensor<Float>.normal(shape: [n, n], using: &generator)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    var y = Tensor<Float>(zeros: [batch, n])
    // Both products write into an output allocated once, outside the timing.
    var denseOutput = [Float](repeating: 0, count: batch * n)
    let denseEstimate = 2 * Double(batch) * Double(n * n) / 100e9
    let warmSeconds = min(monarchWarmSeconds, 50 * denseEstimate)
    let samples = BenchmarkTimer.sampleCount(forSecondsPerRun: denseEstimate + warmSeconds, budget: 3)
    var dense: [Double] = []
    var monarch: [Double] = []
    for sample in 0..<samples {
      BLASThreads.set(processorCount)
      dense.append(
        BenchmarkTimer.median(warmup: sample == 0 ? 1 : 0, samples: 1) {
          x.scalars.withUnsafeBufferPointer { px in
            w.scalars.withUnsafeBufferPointer { pw in
              denseOutput.withUnsafeMutableBufferPointer { py in
                gemm(
                  MatrixView(px.baseAddress!, rows: batch, columns: n), MatrixView(pw.baseAddress!, rows: n, columns: n),
                  MutableMatrixView(py.baseAddress!, rows: batch, columns: n), transposeB: true)
              }
            }
          }
          return denseOutput[0]
        })
      BLASThreads.set(1)
      let forward = {
        try! m.multiply(x, into: &y)  // x and y are built for m's layout above
        return y.scalars[0]
      }
      let warmEnd = DispatchTime.now().uptimeNanoseconds + UInt64(warmSeconds * 1e9)
      while DispatchTime.now().uptimeNanoseconds < warmEnd { BenchmarkTimer.blackHole(forward()) }
      monarch.append(BenchmarkTimer.median(warmup: 0, samples: 3, forward))
    }
    BLASThreads.set(1)
    var start = DispatchTime.now().uptimeNanoseconds
    let projection = try project(w, onto: layout, name: "benchmark matrix")
    let projectionSeconds = seconds(start)
    BLASThreads.set(processorCount)
    var c = Tensor<Float>(zeros: [n, n])
    start = DispatchTime.now().uptimeNanoseconds
    w.scalars.withUnsafeBufferPointer { pw in
      c.scalars.withUnsafeMutableBufferPointer { pc in
        let view = MatrixView(pw.baseAddress!, rows: n, columns: n)
        gemm(view, view, MutableMatrixView(pc.baseAddress!, rows: n, columns: n))
      }
    }
    let squareGemmSeconds = seconds(start)
    BenchmarkTimer.blackHole(c.scalars[0])
    BLASThreads.set(1)
    let exactError = try exactProjectionError(w, layout: layout)
    dense.sort()
    monarch.sort()
    return Result(
      layout: layout, batch: batch, denseSeconds: dense[dense.count / 2], monarchSeconds: monarch[monarch.count / 2],
      projectionSeconds: projectionSeconds, squareGemmSeconds: squareGemmSeconds,
      projectionError: projection.error, exactError: exactError, norm: projection.norm)
  }
}
