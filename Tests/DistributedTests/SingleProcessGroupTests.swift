import Distributed
import Testing

@Suite struct SingleProcessGroupTests {
  @Test func collectivesOverOneRankKeepTheValues() throws {
    let group = SingleProcessGroup()
    var values: [Float] = [1, -2.5, 3]
    try values.withUnsafeMutableBufferPointer { try group.allReduce($0, .average) }
    #expect(values == [1, -2.5, 3])
    var bytes: [UInt8] = [7, 8]
    try group.broadcast(&bytes, root: 0)
    #expect(bytes == [7, 8])
    #expect(try group.gather([1, 2, 3], root: 0) == [[1, 2, 3]])
  }

  @Test func aRootOutsideTheGroupIsRefused() {
    let group = SingleProcessGroup()
    var bytes: [UInt8] = []
    #expect(throws: DistributedError.invalidRoot(root: 1, size: 1)) { try group.broadcast(&bytes, root: 1) }
  }
}
