import Foundation
import TestSupport

/// An `mpirun` job of the `distributed-check` program on this host, its output captured, ended by a deadline.
struct MPIJob {
  /// The `mpirun` on the search path, or `nil`.
  static let mpirun: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// The built `distributed-check` program.
  static func checkProgram() throws -> String { try builtExecutable("distributed-check").path }

  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  /// What the job printed (both ranks, standard output and error together), whether it ended in time, and
  /// each rank's exit status as the wrapper shell reported it ("rank R exit S").
  struct Outcome {
    let output: String
    let endedInTime: Bool
    let seconds: Double

    func exitStatus(ofRank rank: Int) -> Int? {
      output.split(separator: "\n").compactMap { line -> Int? in
        let prefix = "rank \(rank) exit "
        return line.hasPrefix(prefix) ? Int(line.dropFirst(prefix.count)) : nil
      }.first
    }
  }

  /// Runs `distributed-check SCENARIO` on two ranks over loopback and shared memory, each rank under a shell that
  /// outlives mpirun's SIGTERM long enough to report the rank's exit status; the job is killed after `deadline`.
  static func run(_ scenario: String, environment extra: [String: String] = [:], deadline: Double = 60) throws
    -> Outcome
  {
    let program = try checkProgram()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirun!)
    process.arguments = mpirunArguments(ranks: 2) + [
      "sh", "-c",
      "trap : TERM; '\(program)' \(scenario); echo \"rank $OMPI_COMM_WORLD_RANK exit $?\"",
    ]
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-\(scenario)-\(UUID().uuidString).txt")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    while process.isRunning && Date().timeIntervalSince(start) < deadline { usleep(20_000) }
    let endedInTime = !process.isRunning
    if !endedInTime {
      process.terminate()
      usleep(500_000)
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    try handle.close()
    let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    return Outcome(output: output, endedInTime: endedInTime, seconds: Date().timeIntervalSince(start))
  }
}
