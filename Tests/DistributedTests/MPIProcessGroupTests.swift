import Testing

/// Two ranks of `distributed-check` under `mpirun` on this host. Serialized: each job already oversubscribes
/// the cores.
@Suite(.serialized, .enabled(if: MPIJob.mpirun != nil, "mpirun is not installed (scripts/setup.sh installs openmpi-bin)"))
struct MPIProcessGroupTests {
  @Test func everyCollectiveGivesTheClosedFormValuesOnBothRanks() throws {
    let outcome = try MPIJob.run("collectives")
    #expect(outcome.endedInTime, "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 0) == 0, "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 1) == 0, "\(outcome.output)")
    #expect(outcome.output.contains("rank 0: 22 checks passed"), "\(outcome.output)")
    #expect(outcome.output.contains("rank 1: 23 checks passed"), "\(outcome.output)")
  }

  @Test func ranksStartedWithDifferentArgumentsBothFail() throws {
    let outcome = try MPIJob.run("disagree")
    #expect(outcome.endedInTime, "\(outcome.output)")
    let message = "the ranks disagree on the command-line arguments: rank 1 differs from rank 0"
    #expect(outcome.output.components(separatedBy: message).count == 3, "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 0) == 1, "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 1) == 1, "\(outcome.output)")
  }

  @Test func aKilledRankMakesTheOtherExitNamingIt() throws {
    let outcome = try MPIJob.run("kill")
    #expect(outcome.endedInTime && outcome.seconds < 30, "\(outcome.seconds) s: \(outcome.output)")
    #expect(outcome.output.contains("rank 1 failed"), "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 0) == 1, "\(outcome.output)")
  }

  @Test func aRankThatStopsAnsweringTimesTheOthersOut() throws {
    let outcome = try MPIJob.run("hang", environment: ["STRUCTML_COLLECTIVE_TIMEOUT": "2"])
    #expect(outcome.endedInTime && outcome.seconds < 30, "\(outcome.seconds) s: \(outcome.output)")
    #expect(outcome.output.contains("a rank failed: no answer within 2 s in allreduce (seen from rank 0)"), "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 0) == 1, "\(outcome.output)")
    // Rank 0's exit makes mpirun stop rank 1, which then names rank 0.
    #expect(outcome.output.contains("rank 0 failed"), "\(outcome.output)")
    #expect(outcome.exitStatus(ofRank: 1) == 1, "\(outcome.output)")
  }
}
