import CKernels
import Foundation

/// Times a piece of work the way every `structml bench` command does: warm-up runs, then timed samples,
/// reporting the median (robust to a noisy neighbour on a shared machine).
public enum BenchmarkTimer {
  /// The median wall-clock seconds of `samples` runs of `body`, after `warmup` untimed runs.
  ///
  /// The value `body` returns goes through an optimization barrier so that the work cannot be removed.
  public static func median<T>(warmup: Int = 1, samples: Int = 5, _ body: () -> T) -> Double {
    for _ in 0..<warmup { blackHole(body()) }
    var times: [Double] = []
    for _ in 0..<max(1, samples) {
      let start = DispatchTime.now().uptimeNanoseconds
      blackHole(body())
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    times.sort()
    return times[times.count / 2]
  }

  /// The number of samples that fit a time budget, given the seconds of one run (at least 3, at most 50).
  public static func sampleCount(forSecondsPerRun seconds: Double, budget: Double = 2) -> Int {
    guard seconds > 0 else { return 50 }
    return min(50, max(3, Int(budget / seconds)))
  }

  /// Keeps a value alive for the optimizer.
  public static func blackHole<T>(_ value: T) {
    withUnsafePointer(to: value) { sml_barrier($0) }
  }
}
