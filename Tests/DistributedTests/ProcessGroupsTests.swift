@testable import Distributed
import Testing

@Suite struct ProcessGroupsTests {
  @Test func aProcessNotStartedByMPIRunsAlone() throws {
    #expect(!ProcessGroups.isLaunchedByMPI(["PATH": "/usr/bin"]))
    #expect(ProcessGroups.isLaunchedByMPI(["OMPI_COMM_WORLD_SIZE": "2"]))
    #expect(ProcessGroups.isLaunchedByMPI(["PMIX_RANK": "0"]))
    let group = try ProcessGroups.current(["PATH": "/usr/bin"])
    #expect(group is SingleProcessGroup)
    #expect(group.rank == 0 && group.size == 1)
  }

  @Test func theArgumentHashIsFNV1aOverZeroTerminatedArguments() {
    // FNV-1a 64 of the bytes "a\0b\0", worked out by hand from the FNV offset basis and prime.
    #expect(SingleProcessGroup.hash(["a", "b"]) == 0xab40_d782_0d40_8076)
    #expect(SingleProcessGroup.hash(["ab"]) != SingleProcessGroup.hash(["a", "b"]))
    #expect(SingleProcessGroup.hash([]) == 0xcbf2_9ce4_8422_2325)
  }

  @Test func oneRankAlwaysAgreesWithItself() throws {
    try SingleProcessGroup().checkArgumentsAgree(["train", "--steps", "3"])
  }

  @Test func startedAndBucketedReductionsOverOneRankKeepTheValues() throws {
    let group = SingleProcessGroup()
    var first: [Float] = [1, 2]
    var second: [Float] = [-3]
    try first.withUnsafeMutableBufferPointer { a in
      try second.withUnsafeMutableBufferPointer { b in try group.allReduce([a, b], .average) }
    }
    let pending = first.withUnsafeMutableBufferPointer { group.startAllReduce($0, .sum) }
    try pending.wait()
    #expect(first == [1, 2] && second == [-3])
  }

  @Test func aMissingLibraryIsNamedWithWhatToInstall() {
    let error = DistributedError.libraryUnavailable(library: "libmpi.so.40", reason: "cannot open shared object file")
    #expect(error.description.contains("libmpi.so.40"))
    #expect(error.description.contains("openmpi-bin"))
  }
}
