import Dispatch

/// An allreduce started by ``ProcessGroup/startAllReduce(_:_:)``: ``wait()`` blocks until it is done and
/// throws what it failed with.
public final class PendingAllReduce: @unchecked Sendable {
  // Written once by the communication thread before `done` is signalled, read only after waiting on it.
  private var failure: DistributedError?
  private let done = DispatchSemaphore(value: 0)
  private var waited = false

  /// A reduction that has already ended, with `failure` or none.
  init(finished failure: DistributedError?) {
    self.failure = failure
    done.signal()
  }

  /// A reduction still running; the communication thread calls ``finish(_:)``.
  init() {}

  /// Records the outcome; called once, by the thread that ran the reduction.
  func finish(_ failure: DistributedError?) {
    self.failure = failure
    done.signal()
  }

  /// Waits for the reduction to end; after it returns the buffer holds the reduced values.
  public func wait() throws(DistributedError) {
    if !waited {
      done.wait()
      waited = true
    }
    if let failure { throw failure }
  }
}
