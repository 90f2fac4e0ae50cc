// A program for the MPI tests in DistributedTests, run under mpirun: `distributed-check SCENARIO`.
//
//   collectives  every collective against values known in closed form; prints "rank R: N checks passed"
//   disagree     rank 1 adds an argument; every rank must end with ranksDisagree
//   kill         rank 1 kills itself (SIGKILL) mid-run; the others must report it and exit 1
//   hang         rank 1 stops calling collectives; the others must time out (STRUCTML_COLLECTIVE_TIMEOUT)
import Distributed
import Foundation

/// A check that failed: which one and what was seen.
struct CheckFailed: Error, CustomStringConvertible {
  let description: String
}

nonisolated(unsafe) var checks = 0  // one thread: the checks run in order

func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
  checks += 1
  if !condition { throw CheckFailed(description: what()) }
}

/// Each rank contributes `(rank + 1) * pattern(i)`, so the sum is `pattern(i) * P (P + 1) / 2`, exact in
/// floating point for these small integers.
func pattern(_ index: Int) -> Double { Double(index % 7 + 1) }

func checkCollectives(_ group: MPIProcessGroup) throws {
  let (rank, size) = (group.rank, group.size)
  let rankSum = Double(size * (size + 1) / 2)
  for count in [1, 1000, 5000] {  // 5000 Floats is 5 chunks of the 4 KiB calls this program asks for
    var floats = (0..<count).map { Float(rank + 1) * Float(pattern($0)) }
    try floats.withUnsafeMutableBufferPointer { try group.allReduce($0, .sum) }
    try expect(floats.indices.allSatisfy { floats[$0] == Float(pattern($0) * rankSum) }, "Float sum of \(count)")
    var doubles = (0..<count).map { Double(rank + 1) * pattern($0) }
    try doubles.withUnsafeMutableBufferPointer { try group.allReduce($0, .average) }
    try expect(
      doubles.indices.allSatisfy { doubles[$0] == pattern($0) * rankSum / Double(size) }, "Double average of \(count)")
    var averaged = (0..<count).map { Float(rank + 1) * Float(pattern($0)) }
    try averaged.withUnsafeMutableBufferPointer { try group.allReduce($0, .average) }
    try expect(
      averaged.indices.allSatisfy { averaged[$0] == Float(pattern($0) * rankSum) / Float(size) },
      "Float average of \(count)")
    var summed = (0..<count).map { Double(rank + 1) * pattern($0) }
    try summed.withUnsafeMutableBufferPointer { try group.allReduce($0, .sum) }
    try expect(summed.indices.allSatisfy { summed[$0] == pattern($0) * rankSum }, "Double sum of \(count)")
  }
  // Buckets started one after another, reduced while this thread fills the next.
  var buckets = (0..<4).map { bucket in (0..<(300 * (bucket + 1))).map { Float(rank + 1) * Float(pattern($0 + bucket)) } }
  var pending: [PendingAllReduce] = []
  for index in buckets.indices {
    pending.append(buckets[index].withUnsafeMutableBufferPointer { group.startAllReduce($0, .sum) })
  }
  for reduction in pending { try reduction.wait() }
  for (bucket, values) in buckets.enumerated() {
    try expect(
      values.indices.allSatisfy { values[$0] == Float(pattern($0 + bucket) * rankSum) }, "bucket \(bucket) sum")
  }
  buckets.removeAll()
  for root in 0..<size {
    var bytes = rank == root ? (0..<(10_000 + root)).map { UInt8(truncatingIfNeeded: $0 * 31 + root) } : [9]
    try group.broadcast(&bytes, root: root)
    try expect(
      bytes == (0..<(10_000 + root)).map { UInt8(truncatingIfNeeded: $0 * 31 + root) }, "broadcast from \(root)")
    let own = (0..<(rank * 5000 + 3)).map { UInt8(truncatingIfNeeded: $0 + rank) }
    let gathered = try group.gather(own, root: root)
    if rank == root {
      let expected = (0..<size).map { r in (0..<(r * 5000 + 3)).map { UInt8(truncatingIfNeeded: $0 + r) } }
      try expect(gathered == expected, "gather of unequal sizes at root \(root)")
    } else {
      try expect(gathered == nil, "gather gives nothing off the root")
    }
  }
  var empty: [UInt8] = rank == 0 ? [] : [1, 2]
  try group.broadcast(&empty, root: 0)
  try expect(empty.isEmpty, "broadcast of nothing")
  // The barrier holds every rank until the slowest arrives: rank 0 arrives 0.3 s late.
  if rank == 0 { usleep(300_000) }
  let start = Date()
  try group.barrier()
  if rank != 0 { try expect(Date().timeIntervalSince(start) > 0.2, "barrier waited for rank 0") }
  try group.checkArgumentsAgree(["same", "arguments"])
  checks += 1
}

func run(_ scenario: String) throws {
  let group = try MPIProcessGroup.world(
    timeout: ProcessInfo.processInfo.environment[ProcessGroups.timeoutVariable].flatMap(Double.init) ?? 600,
    maximumBytesPerCall: 4096)
  group.reportFailedRanksOnTermination()
  switch scenario {
  case "collectives":
    try checkCollectives(group)
    print("rank \(group.rank): \(checks) checks passed")
  case "disagree":
    try group.checkArgumentsAgree(["train", group.rank == 1 ? "--steps=2" : "--steps=1"])
  case "kill", "hang":
    var values = [Float](repeating: 1, count: 256)
    for iteration in 0..<1_000_000 {
      if group.rank == 1 && iteration == 50 {
        if scenario == "kill" { kill(getpid(), SIGKILL) }
        sleep(120)
      }
      try values.withUnsafeMutableBufferPointer { try group.allReduce($0, .average) }
    }
  default:
    throw CheckFailed(description: "unknown scenario '\(scenario)'")
  }
  MPIProcessGroup.finalizeIfStarted()
}

do {
  try run(CommandLine.arguments.dropFirst().first ?? "")
  exit(0)
} catch {
  FileHandle.standardError.write(Data("distributed-check: \(error)\n".utf8))
  exit(1)
}
