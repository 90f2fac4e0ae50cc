/// The processes that run one job together, as seen from one of them: its rank, the group's size, and the
/// collective operations every rank calls in the same order.
///
/// A single process is a group of size 1 (``SingleProcessGroup``), where every collective is the identity, so code
/// written against `ProcessGroup` runs unchanged without MPI.
public protocol ProcessGroup: AnyObject, Sendable {
  /// This process's rank, `0 ..< size`.
  var rank: Int { get }
  /// The number of processes in the group.
  var size: Int { get }

  /// Waits until every rank has called `barrier()`.
  func barrier() throws(DistributedError)

  /// Replaces `bytes` on every rank by the bytes of rank `root` (the lengths may differ before the call).
  func broadcast(_ bytes: inout [UInt8], root: Int) throws(DistributedError)

  /// Replaces `values` on every rank, in place, by their elementwise sum (or mean) over the ranks.
  func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws(DistributedError)

  /// The `Double` form of ``allReduce(_:_:)-(UnsafeMutableBufferPointer<Float>,_)``.
  func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws(DistributedError)

  /// Gathers each rank's bytes (of any length) on rank `root`, in rank order; other ranks get `nil`.
  func gather(_ bytes: [UInt8], root: Int) throws(DistributedError) -> [[UInt8]]?
}

/// How ``ProcessGroup/allReduce(_:_:)-(UnsafeMutableBufferPointer<Float>,_)`` combines the ranks' values.
public enum ReduceOperation: Sendable {
  /// The elementwise sum over the ranks.
  case sum
  /// The elementwise sum divided by the number of ranks.
  case average
}
