import Foundation
import Monarch
import TensorCore

/// `structml bench monarch`: the Monarch forward, transposed multiply and gradients against dense sgemm on the
/// same shapes, timed warm and alike in the same run; the projection against one `n×n×n` GEMM on request.
enum BenchMonarchCommand {
  static let command = Command(
    path: ["bench", "monarch"],
    summary: "Monarch forward, transposed and gradient rates vs dense sgemm; projection time on request",
    options: [
      .value("n", "N", "matrix size n (default 4096)"),
      .value("batch", "B", "rows of the batch (default 1024)"),
      .value("blocks", "K", "blocks of both factors (default √n rounded down to a power of 2)"),
      .value("rank", "R", "slice rank (default max(1, n / K²))"),
      .value("rounds", "R", "interleaved rounds per operation, each one warm sample per side (default 5)"),
      .flag("forward-only", "time the forward multiply only"),
      .flag("projection", "also time the projection of an n×n matrix and its exact error (slow for large n)"),
      .flag("sweep", "the whole table: n 1024 and 4096 (or --n), 4, 16 and 64 blocks, batch 1, 16 and 1024"),
    ]
  ) { arguments, console in
    let rounds = try arguments.int("rounds", default: 5, in: 1...101)!
    let operations = arguments.flag("forward-only") ? [Operation.forward] : Operation.allCases
    let cells: [(n: Int, blocks: Int, batch: Int, rank: Int?)]
    if arguments.flag("sweep") {
      for name in ["batch", "blocks", "rank"] where arguments.string(name) != nil {
        throw CommandError.usage("--sweep chooses the blocks and batches itself; drop --\(name)")
      }
      let sizes = try arguments.int("n", in: 64...16384).map { [$0] } ?? [1024, 4096]
      cells = sizes.flatMap { n in [4, 16, 64].flatMap { blocks in [1, 16, 1024].map { (n, blocks, $0, nil) } } }
    } else {
      let n = try arguments.int("n", default: 4096, in: 1...16384)!
      var defaultBlocks = 1
      while (2 * defaultBlocks) * (2 * defaultBlocks) <= n { defaultBlocks *= 2 }
      cells = [
        (
          n, try arguments.int("blocks", default: defaultBlocks, in: 1...n)!,
          try arguments.int("batch", default: 1024, in: 1...65536)!, try arguments.int("rank", in: 1...n)
        )
      ]
    }
    var results: [Result] = []
    for cell in cells {
      let layout: MonarchLayout
      do {
        layout = try MonarchLayout(inFeatures: cell.n, outFeatures: cell.n, blocks: cell.blocks, rank: cell.rank)
      } catch {
        throw CommandError.usage("\(error)")
      }
      var result = measure(layout: layout, batch: cell.batch, operations: operations, rounds: rounds)
      if arguments.flag("projection") { result.projection = try measureProjection(layout: layout) }
      results.append(result)
      if !arguments.flag("json") && arguments.flag("sweep") { console.print(result.tableRows.joined(separator: "\n")) }
    }
    if arguments.flag("json") {
      console.print((arguments.flag("sweep") ? .array(results.map(\.json)) : results[0].json).serialized())
    } else if arguments.flag("sweep") {
      console.print(ratioTable(results, operations: operations))
    } else {
      console.print(results[0].summary)
    }
  }

  /// The sweep's summary: one line per shape with Monarch's rate over the dense rate for each operation.
  static func ratioTable(_ results: [Result], operations: [Operation]) -> String {
    let header = ["n", "blocks", "batch"] + operations.map(\.rawValue)
    let rows = results.map { result in
      ["\(result.n)", "\(result.layout.inBlocks)", "\(result.batch)"]
        + operations.map { operation in result.timing(operation).map { formatted($0.rateRatio, digits: 3) } ?? "-" }
    }
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
    let line = { (cells: [String]) in
      zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
    }
    return (["Monarch GFLOP/s over dense sgemm GFLOP/s (each on its own FLOPs, warm, same run)", line(header)]
      + rows.map(line)).joined(separator: "\n")
  }

  /// The operations timed against their dense counterparts.
  enum Operation: String, CaseIterable, Sendable {
    /// `y = x Mᵀ` against `x Wᵀ`, by a ``MonarchMatrix`` (factors packed once, as for inference).
    case forward
    /// `y = x Mᵀ` against `x Wᵀ` on borrowed factors (``MonarchFactorsView``, as a layer that trains: nothing
    /// kept from one call to the next).
    case viewForward = "view_forward"
    /// `v = u M` against `u W`.
    case transposed
    /// `∂L/∂w1` and `∂L/∂w2` from `x` and `∂L/∂y` against `dW = dYᵀ X`.
    case weightGradients = "weight_gradients"
    /// The input and weight gradients against `dYᵀ X` and `dY W`.
    case backward

    /// The Monarch floating-point operations of one call on `batch` rows, as performed: the weight gradients
    /// also recompute the middle activation and its gradient (a forward's worth), the backward adds the input
    /// gradient (the first factor's products once more).
    func monarchFlops(_ layout: MonarchLayout, batch: Int) -> Double {
      let forward = Double(batch) * Double(layout.flopsPerRow)
      switch self {
      case .forward, .viewForward, .transposed: return forward
      case .weightGradients: return 2 * forward
      case .backward: return 2 * forward + 2 * Double(batch * layout.middleWidth * layout.inBlockSize)
      }
    }

    /// The dense floating-point operations of the same call with an `out × in` matrix.
    func denseFlops(_ layout: MonarchLayout, batch: Int) -> Double {
      let one = 2 * Double(batch) * Double(layout.inFeatures) * Double(layout.outFeatures)
      return self == .backward ? 2 * one : one
    }
  }

  /// The median seconds of one operation on both sides.
  struct Timing: Sendable {
    let operation: Operation
    let monarchSeconds: Double
    let denseSeconds: Double
    let monarchFlops: Double
    let denseFlops: Double

    var monarchGflops: Double { monarchFlops / monarchSeconds * 1e-9 }
    var denseGflops: Double { denseFlops / denseSeconds * 1e-9 }
    /// Monarch's rate over dense sgemm's rate, each on its own FLOPs.
    var rateRatio: Double { monarchGflops / denseGflops }
    var speedup: Double { denseSeconds / monarchSeconds }
  }

  /// Runs `body` with a view of `m`'s factors (their lengths fit its layout by construction).
  static func withView(_ m: MonarchMatrix<Float>, _ body: (MonarchFactorsView<Float>) -> Float) -> Float {
    m.w1.scalars.withUnsafeBufferPointer { w1 in
      m.w2.scalars.withUnsafeBufferPointer { w2 in body(try! MonarchFactorsView(layout: m.layout, w1: w1, w2: w2)) }
    }
  }

  /// Runs `body(input, output)` on the storage of two buffers and returns the first output element.
  static func viewCall(
    _ input: Tensor<Float>, y: inout [Float], _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) -> Float {
    input.scalars.withUnsafeBufferPointer { px in
      y.withUnsafeMutableBufferPointer { py in
        body(px.baseAddress!, py.baseAddress!)
        return py[0]
      }
    }
  }

  /// The projection of one `n×n` Gaussian matrix: time, error and the exact optimum.
  struct Projection: Sendable {
    let seconds: Double
    let squareGemmSeconds: Double
    let error: Double
    let exactError: Double
    let norm: Double

    var errorGap: Double { exactError > 0 ? abs(error - exactError) / exactError : abs(error) }
  }

  struct Result: Sendable {
    let layout: MonarchLayout
    let batch: Int
    let timings: [Timing]
    var projection: Projection?

    var n: Int { layout.inFeatures }

    func timing(_ operation: Operation) -> Timing? { timings.first { $0.operation == operation } }

    var json: JSONValue {
      var fields: [(String, JSONValue)] = [
        ("n", .int(n)), ("batch", .int(batch)), ("blocks", .int(layout.inBlocks)),
        ("rank", layout.sliceRank.map { .int($0) } ?? .null), ("threads", .int(processorCount)),
        ("blas", .string(BLASThreads.configuration)),
      ]
      if let forward = timing(.forward) {
        fields += [
          ("dense_seconds", .number(forward.denseSeconds)), ("monarch_seconds", .number(forward.monarchSeconds)),
          ("dense_gflops", .number(forward.denseGflops)), ("monarch_gflops", .number(forward.monarchGflops)),
          ("gflops_ratio", .number(forward.rateRatio)), ("flop_ratio", .number(forward.denseFlops / forward.monarchFlops)),
          ("speedup", .number(forward.speedup)),
        ]
      }
      for timing in timings {
        let name = timing.operation.rawValue
        fields += [
          ("\(name)_monarch_seconds", .number(timing.monarchSeconds)),
          ("\(name)_dense_seconds", .number(timing.denseSeconds)),
          ("\(name)_monarch_gflops", .number(timing.monarchGflops)),
          ("\(name)_dense_gflops", .number(timing.denseGflops)), ("\(name)_gflops_ratio", .number(timing.rateRatio)),
          ("\(name)_speedup", .number(timing.speedup)),
        ]
      }
      if let projection {
        fields += [
          ("projection_seconds", .number(projection.seconds)),
          ("square_gemm_seconds", .number(projection.squareGemmSeconds)),
          ("projection_to_gemm", .number(projection.seconds / projection.squareGemmSeconds)),
          ("projection_relative_error", .number(projection.error / projection.norm)),
          ("exact_relative_error", .number(projection.exactError / projection.norm)),
          ("error_gap", .number(projection.errorGap)),
        ]
      }
      return .object(fields)
    }

    /// One line per operation: shape, both rates and their ratio.
    var tableRows: [String] {
      timings.map { timing in
        "n \(n)  blocks \(layout.inBlocks)  batch \(batch)  \(timing.operation.rawValue): Monarch "
          + "\(formatted(timing.monarchGflops, digits: 4)) GFLOP/s (\(formatted(timing.monarchSeconds * 1e3, digits: 4)) ms), "
          + "dense \(formatted(timing.denseGflops, digits: 4)) GFLOP/s (\(formatted(timing.denseSeconds * 1e3, digits: 4)) ms), "
          + "rate ratio \(formatted(timing.rateRatio, digits: 3)), speedup \(formatted(timing.speedup, digits: 3))"
      }
    }

    var summary: String {
      var lines = [
        "Monarch \(n)×\(n), \(layout.inBlocks) blocks, slice rank \(layout.sliceRank ?? 0), batch \(batch), "
          + "\(processorCount) core(s) [\(BLASThreads.configuration)]; medians of interleaved warm samples"
      ]
      for timing in timings {
        lines.append(
          "  \(timing.operation.rawValue): Monarch \(formatted(timing.monarchSeconds * 1e3, digits: 4)) ms, "
            + "\(formatted(timing.monarchGflops, digits: 4)) GFLOP/s; dense sgemm \(formatted(timing.denseSeconds * 1e3, digits: 4)) ms, "
            + "\(formatted(timing.denseGflops, digits: 4)) GFLOP/s; rate ratio \(formatted(timing.rateRatio, digits: 3)), "
            + "speedup \(formatted(timing.speedup, digits: 3))")
      }
      if let projection {
        lines.append(
          "  projection of \(n)×\(n): \(formatted(projection.seconds, digits: 4)) s; one \(n)³ GEMM: "
            + "\(formatted(projection.squareGemmSeconds, digits: 4)) s (ratio "
            + "\(formatted(projection.seconds / projection.squareGemmSeconds, digits: 3)))")
        lines.append(
          "  projection relative error \(formatted(projection.error / projection.norm, digits: 7)), exact SVD "
            + "\(formatted(projection.exactError / projection.norm, digits: 7)) (gap \(formatted(projection.errorGap, digits: 2)))")
      }
      return lines.joined(separator: "\n")
    }
  }

  static func seconds(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }

  /// How long each side runs untimed before each of its samples, after its BLAS thread count is set. After a
  /// multi-threaded GEMM the OpenBLAS workers keep polling for about 0.1 s and take a core from whatever runs
  /// next, and after an idle pause the clock needs a moment to rise: both sides get the same warm-up, so each
  /// sample measures a steady stream of calls, as in a model.
  static let warmSeconds = 0.12

  /// Runs `body` untimed for ``warmSeconds`` (at least twice), then returns the median of three timed calls.
  static func warmSample(_ body: () -> Float) -> Double {
    let warmEnd = DispatchTime.now().uptimeNanoseconds + UInt64(warmSeconds * 1e9)
    var runs = 0
    while runs < 2 || DispatchTime.now().uptimeNanoseconds < warmEnd {
      BenchmarkTimer.blackHole(body())
      runs += 1
    }
    return BenchmarkTimer.median(warmup: 0, samples: 3, body)
  }

  /// Times each operation against its dense counterpart in `rounds` interleaved rounds: dense sgemm with one
  /// BLAS thread per core, then Monarch with a single-threaded BLAS under its own parallel loops, each after the
  /// same warm-up; the medians over rounds are reported.
  static func measure(layout: MonarchLayout, batch: Int, operations: [Operation], rounds: Int) -> Result {
    let previousThreads = BLASThreads.current
    defer { BLASThreads.set(previousThreads) }
    let (n, out) = (layout.inFeatures, layout.outFeatures)
    var generator = SeededGenerator(seed: 3)
    let x = Tensor<Float>.uniform(shape: [batch, n], in: -1..<1, using: &generator)
    let dy = Tensor<Float>.uniform(shape: [batch, out], in: -1..<1, using: &generator)
    let w = Tensor<Float>.normal(shape: [out, n], standardDeviation: 1 / Float(n).squareRoot(), using: &generator)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    // Every output is allocated once, outside the timing.
    var y = Tensor<Float>(zeros: [batch, out])
    var yView = [Float](repeating: 0, count: batch * out)
    var v = [Float](repeating: 0, count: batch * n)
    var dw1 = [Float](repeating: 0, count: m.w1.count)
    var dw2 = [Float](repeating: 0, count: m.w2.count)
    var denseForward = [Float](repeating: 0, count: batch * out)
    var denseInput = [Float](repeating: 0, count: batch * n)
    var denseWeight = [Float](repeating: 0, count: out * n)
    var timings: [Timing] = []
    for operation in operations {
      let monarch: () -> Float
      switch operation {
      case .forward:
        monarch = {
          // The shapes are built above to fit, so the checks cannot fail.
          try! m.multiply(x, into: &y)
          return y.scalars[0]
        }
      case .viewForward:
        monarch = { withView(m) { view in viewCall(x, y: &yView) { view.multiply($0, batch: batch, into: $1) } } }
      case .transposed:
        monarch = { withView(m) { view in viewCall(dy, y: &v) { view.multiplyTransposed($0, batch: batch, into: $1) } } }
      case .weightGradients, .backward:
        // Into buffers allocated once, as a training step does; the weight gradients skip the input gradient.
        let inputGradient = operation == .backward
        monarch = {
          withView(m) { view in
            x.scalars.withUnsafeBufferPointer { px in
              dy.scalars.withUnsafeBufferPointer { pdy in
                v.withUnsafeMutableBufferPointer { pdx in
                  dw1.withUnsafeMutableBufferPointer { pdw1 in
                    dw2.withUnsafeMutableBufferPointer { pdw2 in
                      view.gradients(
                        input: px.baseAddress!, outputGradient: pdy.baseAddress!, batch: batch,
                        inputGradient: inputGradient ? pdx.baseAddress! : nil, w1Gradient: pdw1.baseAddress!,
                        w2Gradient: pdw2.baseAddress!)
                      return pdw1[0] + pdw2[0] + (inputGradient ? pdx[0] : 0)
                    }
                  }
                }
              }
            }
          }
        }
      }
      let dense: () -> Float = {
        x.scalars.withUnsafeBufferPointer { px in
          dy.scalars.withUnsafeBufferPointer { pdy in
            w.scalars.withUnsafeBufferPointer { pw in
              let (xv, dyv) = (
                MatrixView(px.baseAddress!, rows: batch, columns: n), MatrixView(pdy.baseAddress!, rows: batch, columns: out)
              )
              let wv = MatrixView(pw.baseAddress!, rows: out, columns: n)
              switch operation {
              case .forward, .viewForward:
                return denseForward.withUnsafeMutableBufferPointer { py in
                  gemm(xv, wv, MutableMatrixView(py.baseAddress!, rows: batch, columns: out), transposeB: true)
                  return py[0]
                }
              case .transposed:
                return denseInput.withUnsafeMutableBufferPointer { pv in
                  gemm(dyv, wv, MutableMatrixView(pv.baseAddress!, rows: batch, columns: n))
                  return pv[0]
                }
              case .weightGradients, .backward:
                let weight = denseWeight.withUnsafeMutableBufferPointer { pdw in
                  gemm(dyv, xv, MutableMatrixView(pdw.baseAddress!, rows: out, columns: n), transposeA: true)
                  return pdw[0]
                }
                guard operation == .backward else { return weight }
                return denseInput.withUnsafeMutableBufferPointer { pv in
                  gemm(dyv, wv, MutableMatrixView(pv.baseAddress!, rows: batch, columns: n))
                  return pv[0] + weight
                }
              }
            }
          }
        }
      }
      var denseSamples: [Double] = []
      var monarchSamples: [Double] = []
      for _ in 0..<rounds {
        BLASThreads.set(processorCount)
        denseSamples.append(warmSample(dense))
        BLASThreads.set(1)
        monarchSamples.append(warmSample(monarch))
      }
      denseSamples.sort()
      monarchSamples.sort()
      timings.append(
        Timing(
          operation: operation, monarchSeconds: monarchSamples[rounds / 2], denseSeconds: denseSamples[rounds / 2],
          monarchFlops: operation.monarchFlops(layout, batch: batch), denseFlops: operation.denseFlops(layout, batch: batch)))
    }
    return Result(layout: layout, batch: batch, timings: timings, projection: nil)
  }

  /// Times the projection of an `n×n` Gaussian matrix onto `layout` (single-threaded BLAS under its own
  /// parallel loop) and one `n×n×n` GEMM (one BLAS thread per core), and computes the exact optimum.
  static func measureProjection(layout: MonarchLayout) throws -> Projection {
    let previousThreads = BLASThreads.current
    defer { BLASThreads.set(previousThreads) }
    let n = layout.inFeatures
    var generator = SeededGenerator(seed: 4)
    let w = Tensor<Float>.normal(shape: [n, n], using: &generator)
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
    return Projection(
      seconds: projectionSeconds, squareGemmSeconds: squareGemmSeconds, error: projection.error,
      exactError: exactError, norm: projection.norm)
  }
}
