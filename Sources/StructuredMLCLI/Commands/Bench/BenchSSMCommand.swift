import Foundation
import StateSpaces
import TensorCore

/// `structml bench ssm`: kernel time against the state size for S4, S4D and RTF, the S4 / S4D ratio at
/// N = 64 with many channels, and convolution mode against recurrent mode on a sequence of 4L.
enum BenchSSMCommand {
  static let command = Command(
    path: ["bench", "ssm"],
    summary: "S4, S4D and RTF kernel time against N at L = 16384; convolution against recurrence",
    options: [
      .value("length", "L", "kernel length (default 16384)"),
      .value("max-n", "N", "largest state size of the sweep (default 1024)"),
      .value("channels", "H", "channels of the S4 / S4D comparison at N = 64 (default 256)"),
      .flag(
        "allow-large-setup",
        "sweep S4 above N = \(KernelWorkload.largestDefaultS4Order) (O(N³) setup: minutes at N = 4096)"),
    ]
  ) { arguments, console in
    let length = try arguments.int("length", default: 16384, in: 16...(1 << 22))!
    let maxN = try arguments.int("max-n", default: 1024, in: 16...4096)!
    let channels = try arguments.int("channels", default: 256, in: 1...4096)!
    if maxN > KernelWorkload.largestDefaultS4Order, !arguments.flag("allow-large-setup") {
      throw CommandError.usage(
        "--max-n \(maxN): the O(N³) S4 setup takes minutes above N = \(KernelWorkload.largestDefaultS4Order); "
          + "pass --allow-large-setup to run it")
    }
    let peak = KernelWorkload.Kind.allCases.map { kind in
      max(
        KernelWorkload.estimatedBytes(kind: kind, order: maxN, length: length, channels: 1, writesOutput: false),
        KernelWorkload.estimatedBytes(kind: kind, order: 64, length: length, channels: channels, writesOutput: false))
    }.max()! + 8 * 4 * Double(length) * 8
    try MemoryBudget.require(peak, for: "--length \(length) --max-n \(maxN) --channels \(channels)", error: CommandError.usage)
    let result = try StateSpaceCommandSupport.run { try measure(length: length, maxN: maxN, channels: channels) }
    if arguments.flag("json") {
      console.print(result.json.serialized())
    } else {
      for entry in result.kernels {
        console.print("\(entry.kind) N=\(entry.n) L=\(entry.length) H=\(entry.channels): \(formatted(entry.seconds, digits: 4)) s")
      }
      for (name, value) in result.ratios { console.print("\(name): \(formatted(value, digits: 3))") }
    }
  }

  struct Entry {
    let kind: String
    let n: Int
    let length: Int
    let channels: Int
    let seconds: Double
  }

  struct Result {
    var kernels: [Entry] = []
    var ratios: [(String, Double)] = []
    var json: JSONValue {
      .object([
        (
          "kernels",
          .array(
            kernels.map {
              .object([
                ("kind", .string($0.kind)), ("n", .int($0.n)), ("length", .int($0.length)),
                ("channels", .int($0.channels)), ("seconds", .number($0.seconds)),
              ])
            })
        ),
        ("ratios", .object(ratios.map { ($0.0, .number($0.1)) })),
      ])
    }
  }

  static func time(_ workload: KernelWorkload, warmup: Int = 1, samples: Int = 3) -> Double {
    BenchmarkTimer.median(warmup: warmup, samples: samples) { (try? workload.kernels())?.count ?? 0 }
  }

  /// The median seconds of each workload, sampled in turn (`samples` rounds after one warm-up each), so that
  /// drift on a shared machine affects all of them alike.
  static func alternatingMedians(_ workloads: [KernelWorkload], samples: Int) -> [Double] {
    var times = [[Double]](repeating: [], count: workloads.count)
    for round in 0..<samples {
      for (index, workload) in workloads.enumerated() {
        times[index].append(time(workload, warmup: round == 0 ? 1 : 0, samples: 1))
      }
    }
    return times.map { $0.sorted()[samples / 2] }
  }

  static func measure(length: Int, maxN: Int, channels: Int) throws -> Result {
    // The kernels split channels over the cores themselves; idle OpenBLAS threads left spinning by the setup's
    // products would compete with them.
    let previousThreads = BLASThreads.current
    BLASThreads.set(1)
    defer { BLASThreads.set(previousThreads) }
    var result = Result()
    var sizes: [Int] = []
    var n = 16
    while n <= maxN {
      sizes.append(n)
      n *= 2
    }
    var first: [String: Double] = [:]
    for kind in KernelWorkload.Kind.allCases {
      for n in sizes {
        let workload = try KernelWorkload(kind: kind, order: n, length: length, channels: 1)
        let seconds = time(workload)
        result.kernels.append(Entry(kind: kind.rawValue, n: n, length: length, channels: 1, seconds: seconds))
        if first[kind.rawValue] == nil { first[kind.rawValue] = seconds }
        if n == sizes.last {
          result.ratios.append(("\(kind.rawValue) time N=\(n) / N=\(sizes[0])", seconds / first[kind.rawValue]!))
        }
      }
    }
    let s4 = try KernelWorkload(kind: .s4, order: 64, length: length, channels: channels)
    let s4d = try KernelWorkload(kind: .s4d, order: 64, length: length, channels: channels)
    let medians = alternatingMedians([s4, s4d], samples: 7)
    let (s4Seconds, s4dSeconds) = (medians[0], medians[1])
    result.kernels.append(Entry(kind: "s4", n: 64, length: length, channels: channels, seconds: s4Seconds))
    result.kernels.append(Entry(kind: "s4d", n: 64, length: length, channels: channels, seconds: s4dSeconds))
    result.ratios.append(("s4 / s4d time, N=64 H=\(channels)", s4Seconds / s4dSeconds))
    // Convolution mode (kernel + FFT convolution) against the S4D recurrence (O(N) per step), one channel, N = 64.
    let sequence = 4 * length
    var generator = SeededGenerator(seed: 3)
    let input = (0..<sequence).map { _ in generator.nextNormal() }
    let channel = try DiagonalStateSpace(
      a: try S4DInitialization.linear.eigenvalues(order: 64), b: [Complex<Double>](repeating: .one, count: 32),
      c: [Complex<Double>](repeating: .one, count: 32), step: 0.01)
    let convolution = BenchmarkTimer.median(warmup: 1, samples: 3) {
      let kernel = (try? S4DKernel.kernels([channel], length: sequence, method: .zeroOrderHold)) ?? []
      return (try? causalConvolution(input, kernel: kernel, channels: 1, length: sequence))?.count ?? 0
    }
    let recurrence = BenchmarkTimer.median(warmup: 1, samples: 3) {
      (try? channel.recurrentOutput(input, method: .zeroOrderHold))?.count ?? 0
    }
    result.kernels.append(Entry(kind: "s4d-convolution", n: 64, length: sequence, channels: 1, seconds: convolution))
    result.kernels.append(Entry(kind: "s4d-recurrence", n: 64, length: sequence, channels: 1, seconds: recurrence))
    result.ratios.append(("recurrence / convolution time, N=64 L=\(sequence)", recurrence / convolution))
    return result
  }
}
