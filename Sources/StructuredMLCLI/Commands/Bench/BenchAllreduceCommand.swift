import Distributed
import Foundation

/// `structml bench allreduce`: the time of an in-place `Float` sum allreduce across the ranks of an `mpirun`
/// job for messages of 1 KiB to 256 MiB (×4 apart), warm, as the median of several repetitions, with the
/// latency (the smallest message's time) and bandwidth (what the largest adds). Rank 0 reports.
enum BenchAllreduceCommand {
  static let command = Command(
    path: ["bench", "allreduce"],
    summary: "latency and bandwidth of allreduce across the ranks of an mpirun job, 1 KiB to 256 MiB",
    options: [
      .value("max-bytes", "N", "largest message in bytes (default 268435456 = 256 MiB; at least 1024)"),
      .value("repetitions", "R", "timed repetitions of the largest message (default 3; smaller ones get more)"),
    ],
    notes: """
      Run it under mpirun, for example: mpirun -np 2 structml bench allreduce. Every rank must be given the
      same options. Times are rank 0's, each repetition started together by a barrier. The bus bandwidth is
      bytes / time × 2(P-1)/P, what each link carries in a ring allreduce.
      """
  ) { arguments, console in
    let maximumBytes = try arguments.int("max-bytes", default: 1 << 28, in: 1024...(1 << 31))!
    let repetitions = try arguments.int("repetitions", default: 3, in: 1...1000)!
    let group: any ProcessGroup
    do throws(DistributedError) {
      group = try ProcessGroups.current()
    } catch {
      throw CommandError.failure("\(error)")
    }
    let rows: [Row]
    do throws(DistributedError) {
      rows = try measure(group: group, maximumBytes: maximumBytes, repetitions: repetitions)
    } catch {
      throw CommandError.failure("\(error)")
    }
    guard group.rank == 0 else { return }
    let fit = Fit(rows)
    let busFactor = group.size > 1 ? 2 * Double(group.size - 1) / Double(group.size) : 1
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("ranks", .int(group.size)), ("dtype", .string("F32")), ("operation", .string("sum")),
          ("latency_seconds", .number(fit.latency)), ("bandwidth_bytes_per_second", .number(fit.bandwidth)),
          ("bus_bandwidth_bytes_per_second", .number(fit.bandwidth * busFactor)),
          (
            "sizes",
            .array(
              rows.map { row in
                .object([
                  ("bytes", .int(row.bytes)), ("repetitions", .int(row.repetitions)),
                  ("seconds", .number(row.seconds)), ("bytes_per_second", .number(Double(row.bytes) / row.seconds)),
                  ("bus_bytes_per_second", .number(Double(row.bytes) / row.seconds * busFactor)),
                ])
              })
          ),
        ]).serialized())
    } else {
      console.print("allreduce (Float sum, in place) over \(group.size) rank(s), median of warm repetitions")
      console.print("       bytes  reps      seconds   algbw GB/s   busbw GB/s")
      for row in rows {
        let rate = Double(row.bytes) / row.seconds
        console.print(
          String(
            format: "%12d %5d %12.6f %12.3f %12.3f", row.bytes, row.repetitions, row.seconds, rate * 1e-9,
            rate * busFactor * 1e-9))
      }
      console.print(
        String(
          format: "t = a + bytes/b: latency a = %.2f us (1 KiB), bandwidth b = %.3f GB/s (bus %.3f GB/s)",
          fit.latency * 1e6, fit.bandwidth * 1e-9, fit.bandwidth * busFactor * 1e-9))
      if group.size == 1 {
        console.print("one rank: nothing crosses a process; run it under mpirun -np P")
      }
    }
  }

  /// One message size: its median time over `repetitions` warm runs.
  struct Row {
    let bytes: Int
    let repetitions: Int
    let seconds: Double
  }

  /// The two numbers of the model `t = latency + bytes / bandwidth`: the latency is the time of the smallest
  /// message (1 KiB, almost all latency), the bandwidth what the largest message adds over it.
  struct Fit {
    let latency: Double
    let bandwidth: Double

    init(_ rows: [Row]) {
      latency = rows[0].seconds
      let largest = rows[rows.count - 1]
      let transfer = largest.seconds - latency
      bandwidth = rows.count > 1 && transfer > 0 ? Double(largest.bytes) / transfer : .infinity
    }
  }

  /// The message sizes, 1 KiB ×4 up to `maximumBytes` (which is included).
  static func sizes(upTo maximumBytes: Int) -> [Int] {
    var sizes: [Int] = []
    var bytes = 1024
    while bytes < maximumBytes {
      sizes.append(bytes)
      bytes *= 4
    }
    return sizes + [maximumBytes]
  }

  /// Times every size on every rank (collective: all ranks run the same sequence); returns rank 0's medians.
  ///
  /// Each size gets `repetitions × (maximumBytes / bytes)` runs, capped at 200, so small messages, whose times
  /// are noisy, get more.
  static func measure(group: any ProcessGroup, maximumBytes: Int, repetitions: Int) throws(DistributedError)
    -> [Row]
  {
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: maximumBytes / 4)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 0)  // sums of zeros stay finite however often they repeat
    var rows: [Row] = []
    for bytes in sizes(upTo: maximumBytes) {
      let values = UnsafeMutableBufferPointer(rebasing: buffer[0..<(bytes / 4)])
      let runs = min(200, repetitions * max(1, maximumBytes / bytes))
      try group.allReduce(values, .sum)  // warm: connections, registration, pages
      var times: [Double] = []
      for _ in 0..<runs {
        try group.barrier()
        let start = DispatchTime.now().uptimeNanoseconds
        try group.allReduce(values, .sum)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
      }
      times.sort()
      rows.append(Row(bytes: bytes, repetitions: runs, seconds: times[times.count / 2]))
    }
    return rows
  }
}
