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

extension ProcessGroup {
  /// Starts an in-place allreduce of `values` and returns at once (where the group can overlap communication
  /// with the caller's work; otherwise it reduces before returning). Until ``PendingAllReduce/wait()`` returns,
  /// the caller must neither read nor write `values` nor free them.
  ///
  /// Collectives run in the order they are started or called, on every rank alike.
  public func startAllReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation)
    -> PendingAllReduce
  {
    do throws(DistributedError) {
      try allReduce(values, operation)
      return PendingAllReduce(finished: nil)
    } catch {
      return PendingAllReduce(finished: error)
    }
  }

  /// Reduces several buffers (buckets, such as the gradients of successive layers) in place, each started as
  /// soon as the previous one is handed over, and waits for all of them.
  public func allReduce(_ buckets: [UnsafeMutableBufferPointer<Float>], _ operation: ReduceOperation)
    throws(DistributedError)
  {
    let pending = buckets.map { startAllReduce($0, operation) }
    var firstError: DistributedError?
    for reduction in pending {
      do throws(DistributedError) { try reduction.wait() } catch { firstError = firstError ?? error }
    }
    if let firstError { throw firstError }
  }
}
