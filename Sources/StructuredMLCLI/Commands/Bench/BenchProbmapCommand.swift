import CKernels
import Foundation
import ProbabilityMaps
import TensorCore

#if canImport(Glibc)
  import Glibc
#endif

/// `structml bench probmap`: forward and forward+backward time of every probability map on the same Float
/// scores, as ratios to our softmax measured in the same run, plus a plain (scalar `expf`) softmax for scale.
enum BenchProbmapCommand {
  static let command = Command(
    path: ["bench", "probmap"],
    summary: "time every probability map (forward, forward+backward) against softmax on the same input",
    options: [
      .value("rows", "R", "rows of the score matrix (default 1024)"),
      .value("n", "N", "scores per row (default 4096)"),
    ]
  ) { arguments, console in
    let rows = try arguments.int("rows", default: 1024, in: 1...1_000_000)!
    let n = try arguments.int("n", default: 4096, in: 2...1_000_000)!
    try MemoryBudget.require(
      MemoryBudget.product([rows, n, MemoryLayout<Float>.size, matricesHeld]),
      for: "bench probmap --rows \(rows) --n \(n) (\(matricesHeld) Float matrices of \(rows)×\(n))"
    ) { CommandError.usage($0) }
    let results = try measure(rows: rows, n: n)
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("rows", .int(rows)), ("n", .int(n)), ("dtype", .string("F32")), ("threads", .int(processorCount)),
          ("baseline", .string("softmax")),
          ("maps", .array(results.map(\.json))),
        ]).serialized())
    } else {
      console.print("probability maps on \(rows)×\(n) Float scores (N(0,1)), \(processorCount) thread(s)")
      func cell(_ value: Double, digits: Int) -> String { value.isFinite ? formatted(value, digits: digits) : "-" }
      let rows = results.map { result in
        [
          result.map, cell(result.forwardSeconds, digits: 4), cell(result.forwardRatio, digits: 3),
          cell(result.forwardBackwardSeconds, digits: 4), cell(result.forwardBackwardRatio, digits: 3),
        ]
      }
      let header = ["map", "forward s", "×softmax", "fwd+bwd s", "×softmax"]
      for line in TextTable(header: header, rows: rows, firstNumericColumn: 1).lines { console.print(line) }
    }
  }

  /// The `rows × n` Float matrices alive at the peak of ``measure(rows:n:)``: scores, upstream gradient, the
  /// kept output, and a forward output, its backward and the plain softmax's output in flight.
  static let matricesHeld = 6

  /// The timings of one map.
  struct Result {
    let map: String
    let forwardSeconds: Double
    let forwardBackwardSeconds: Double
    let forwardRatio: Double
    let forwardBackwardRatio: Double
    let meanSupport: Double

    var json: JSONValue {
      .object([
        ("map", .string(map)), ("forward_seconds", .number(forwardSeconds)),
        ("forward_backward_seconds", .number(forwardBackwardSeconds)),
        ("forward_ratio_to_softmax", .number(forwardRatio)),
        ("forward_backward_ratio_to_softmax", .number(forwardBackwardRatio)),
        ("mean_support", .number(meanSupport)),
      ])
    }
  }

  /// Times every map on one seeded `rows × n` input; softmax comes first and is the baseline.
  static func measure(rows: Int, n: Int) throws -> [Result] {
    // Keep freed blocks in the process: otherwise glibc returns some output tensors to the kernel after a
    // run and not others, depending on what ran before, and the same kernel measures up to 5x slower in one
    // position of the table than in another.
    sml_keep_freed_memory()
    var generator = SeededGenerator(seed: 7)
    let scores = Tensor<Float>.normal(shape: [rows, n], using: &generator)
    let upstream = Tensor<Float>.normal(shape: [rows, n], using: &generator)
    let maps: [(String, any ProbabilityMap)] = [
      ("softmax", Softmax.standard), ("logsoftmax", try LogSoftmax()), ("taylor", TaylorSoftmax()),
      ("topk (k=n/16)", try TopKSoftmax(k: max(1, n / 16))), ("sparsemax", Sparsemax()), ("entmax15", Entmax15()),
      ("entmax α=1.75 bisect", try Entmax(alpha: 1.75)),
    ]
    var results: [Result] = []
    var baseline = (forward: 1.0, both: 1.0)
    let plain = BenchmarkTimer.median { plainSoftmax(scores) }
    for (name, map) in maps {
      // The untimed first run sizes the sample count: fast maps get many samples, so that the medians hold
      // still on a busy machine.
      let start = DispatchTime.now().uptimeNanoseconds
      var output = try map.forward(scores)
      let firstSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      let samples = BenchmarkTimer.sampleCount(forSecondsPerRun: 2 * firstSeconds, budget: 0.5)
      let forward = BenchmarkTimer.median(samples: samples) {
        output = try! map.forward(scores)
        return output.scalars[0]
      }
      let both = BenchmarkTimer.median(samples: samples) {
        let p = try! map.forward(scores)
        return try! map.backward(scores: scores, output: p, outputGradient: upstream).scalars[0]
      }
      if results.isEmpty { baseline = (forward, both) }
      let support = Double(output.scalars.filter { $0 > 0 && $0.isFinite }.count) / Double(rows)
      results.append(
        Result(
          map: name, forwardSeconds: forward, forwardBackwardSeconds: both, forwardRatio: forward / baseline.forward,
          forwardBackwardRatio: both / baseline.both, meanSupport: name == "logsoftmax" ? Double(n) : support))
    }
    results.append(
      Result(
        map: "softmax, plain expf loop", forwardSeconds: plain, forwardBackwardSeconds: .nan,
        forwardRatio: plain / baseline.forward, forwardBackwardRatio: .nan, meanSupport: Double(n)))
    return results
  }

  /// The textbook softmax (scalar `expf` per element, rows in parallel): the honest yardstick for ours.
  static func plainSoftmax(_ scores: Tensor<Float>) -> Float {
    let n = scores.shape[1]
    var output = [Float](repeating: 0, count: scores.count)
    scores.scalars.withUnsafeBufferPointer { x in
      output.withUnsafeMutableBufferPointer { out in
        let (source, target) = (x.baseAddress!, out.baseAddress!)
        parallelFor(scores.shape[0], minimumChunk: 2) { range in
          for row in range {
            let (xs, ys) = (source + row * n, target + row * n)
            var maximum = -Float.infinity
            for i in 0..<n { maximum = max(maximum, xs[i]) }
            var sum: Float = 0
            for i in 0..<n {
              ys[i] = Float.exponential(xs[i] - maximum)
              sum += ys[i]
            }
            for i in 0..<n { ys[i] /= sum }
          }
        }
      }
    }
    return output[0]
  }
}
