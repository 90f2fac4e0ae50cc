import Foundation
import StructuredMLCLI
import TestSupport
import Testing

@Suite struct BenchAllreduceCommandTests {
  @Test func oneProcessReportsEverySizeUpToTheLimit() throws {
    let (status, out, error) = runInProcess(["bench", "allreduce", "--max-bytes", "16384", "--repetitions", "2", "--json"])
    #expect(status == 0, "\(error)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    #expect(json["ranks"] as? Int == 1)
    let sizes = try #require(json["sizes"] as? [[String: Any]])
    #expect(sizes.map { $0["bytes"] as? Int } == [1024, 4096, 16384])
    #expect(sizes.map { $0["repetitions"] as? Int } == [32, 8, 2])
  }

  @Test func aLimitBelowOneKibibyteIsAUsageError() {
    #expect(runInProcess(["bench", "allreduce", "--max-bytes", "1000"]).status == 2)
  }

  /// `structml` itself under mpirun: both ranks join the job and rank 0 alone reports two ranks.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun"), "mpirun is not installed"))
  func twoRanksUnderMPIRunReportOnce() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let child = try ChildProcess(
      URL(fileURLWithPath: "/usr/bin/mpirun"),
      mpirunArguments(ranks: 2) + [try ChildProcess.structml().path, "bench", "allreduce", "--max-bytes", "65536", "--json"],
      logsIn: folder.url)
    #expect(child.wait(seconds: 60) == .exited(0), "\(child.errorText)")
    let lines = child.outputText.split(separator: "\n")
    #expect(lines.count == 1, "\(child.outputText)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
    #expect(json["ranks"] as? Int == 2)
    #expect((json["latency_seconds"] as? Double ?? 0) > 0)
  }
}
