/// The group of one process: every collective leaves its input as it is (a mean over one rank is the value).
public final class SingleProcessGroup: ProcessGroup {
  public let rank = 0
  public let size = 1

  public init() {}

  public func barrier() throws(DistributedError) {}

  public func broadcast(_ bytes: inout [UInt8], root: Int) throws(DistributedError) {
    guard root == 0 else { throw .invalidRoot(root: root, size: 1) }
  }

  public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation)
    throws(DistributedError) {}

  public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation)
    throws(DistributedError) {}

  public func gather(_ bytes: [UInt8], root: Int) throws(DistributedError) -> [[UInt8]]? {
    guard root == 0 else { throw .invalidRoot(root: root, size: 1) }
    return [bytes]
  }
}
