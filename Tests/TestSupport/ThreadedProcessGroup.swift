import Distributed
import Foundation

/// `P` ranks of a ``ProcessGroup`` as threads of one process, sharing memory: a test double for a multi-process
/// run that needs no MPI.
///
/// Every collective is two barriers around a shared table of the ranks' contributions. `allReduce` adds the
/// ranks' values in rank order (`((x₀ + x₁) + x₂) + …`), identically on every rank, so results are deterministic
/// and the same on all ranks. A rank whose body returns or throws leaves the group: a rank still waiting in a
/// collective for it then throws ``DistributedError/rankFailed(rank:reason:)`` naming it, as an MPI job turns a
/// vanished rank into an error on the others, so a test never hangs on a rank that failed.
public final class ThreadedProcessGroup: ProcessGroup, @unchecked Sendable {
  public let rank: Int
  public var size: Int { shared.size }
  private let shared: SharedState

  private init(rank: Int, shared: SharedState) {
    self.rank = rank
    self.shared = shared
  }

  /// Runs `body` on `ranks` threads, one group member each, and returns each rank's result in rank order.
  ///
  /// - Returns: `results[r]`, what rank `r`'s body returned or threw.
  public static func run<T: Sendable>(
    ranks: Int, _ body: @escaping @Sendable (ThreadedProcessGroup) throws -> T
  ) -> [Result<T, any Error>] {
    precondition(ranks > 0, "ThreadedProcessGroup.run: ranks \(ranks) must be positive")
    let shared = SharedState(size: ranks)
    let results = ResultTable<T>(count: ranks)
    let done = DispatchGroup()
    for rank in 0..<ranks {
      done.enter()
      let thread = Thread {
        let group = ThreadedProcessGroup(rank: rank, shared: shared)
        results.set(rank, Result { try body(group) })
        shared.depart(rank)
        done.leave()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    done.wait()
    return results.values
  }

  public func barrier() throws(DistributedError) { try shared.barrier() }

  public func broadcast(_ bytes: inout [UInt8], root: Int) throws(DistributedError) {
    try checkRoot(root)
    if rank == root { shared.publish(rank, .bytes(bytes)) }
    try shared.barrier()
    if rank != root, case .bytes(let rootBytes) = shared.contribution(of: root) { bytes = rootBytes }
    try shared.barrier()
  }

  public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation)
    throws(DistributedError) {
    try reduce(values, operation) { .floats($0) } extract: {
      if case .floats(let buffer) = $0 { buffer } else { nil }
    }
  }

  public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation)
    throws(DistributedError) {
    try reduce(values, operation) { .doubles($0) } extract: {
      if case .doubles(let buffer) = $0 { buffer } else { nil }
    }
  }

  public func gather(_ bytes: [UInt8], root: Int) throws(DistributedError) -> [[UInt8]]? {
    try checkRoot(root)
    shared.publish(rank, .bytes(bytes))
    try shared.barrier()
    var gathered: [[UInt8]]?
    if rank == root {
      gathered = (0..<size).map { if case .bytes(let b) = shared.contribution(of: $0) { b } else { [] } }
    }
    try shared.barrier()
    return gathered
  }

  private func checkRoot(_ root: Int) throws(DistributedError) {
    guard (0..<size).contains(root) else { throw .invalidRoot(root: root, size: size) }
  }

  /// Publishes `values`, adds every rank's values in rank order into a private copy, waits until every rank
  /// has read, and writes the result back.
  private func reduce<Scalar: BinaryFloatingPoint>(
    _ values: UnsafeMutableBufferPointer<Scalar>, _ operation: ReduceOperation,
    wrap: (UnsafeMutableBufferPointer<Scalar>) -> Contribution,
    extract: (Contribution?) -> UnsafeMutableBufferPointer<Scalar>?
  ) throws(DistributedError) {
    shared.publish(rank, wrap(values))
    try shared.barrier()
    var result = [Scalar](repeating: 0, count: values.count)
    for source in 0..<size {
      guard let buffer = extract(shared.contribution(of: source)), buffer.count == values.count else {
        preconditionFailure("ThreadedProcessGroup.allReduce: rank \(source) reduced a buffer of another length")
      }
      for i in 0..<values.count { result[i] = source == 0 ? buffer[i] : result[i] + buffer[i] }
    }
    if operation == .average { for i in result.indices { result[i] /= Scalar(size) } }
    try shared.barrier()
    for i in result.indices { values[i] = result[i] }
  }

  /// What one rank contributes to the collective in progress.
  enum Contribution {
    case bytes([UInt8])
    case floats(UnsafeMutableBufferPointer<Float>)
    case doubles(UnsafeMutableBufferPointer<Double>)
  }

  /// The table of contributions and the barrier's counters, under one condition variable.
  final class SharedState: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var contributions: [Contribution?]
    private var arrived = 0
    private var generation = 0
    private var departed: [Int] = []
    private static let timeoutSeconds = 120.0

    init(size: Int) {
      self.size = size
      contributions = Array(repeating: nil, count: size)
    }

    func publish(_ rank: Int, _ contribution: Contribution) {
      condition.lock()
      contributions[rank] = contribution
      condition.unlock()
    }

    func contribution(of rank: Int) -> Contribution? {
      condition.lock()
      defer { condition.unlock() }
      return contributions[rank]
    }

    func depart(_ rank: Int) {
      condition.lock()
      departed.append(rank)
      condition.broadcast()
      condition.unlock()
    }

    func barrier() throws(DistributedError) {
      condition.lock()
      defer { condition.unlock() }
      let mine = generation
      arrived += 1
      if arrived == size {
        arrived = 0
        generation += 1
        condition.broadcast()
        return
      }
      let deadline = Date(timeIntervalSinceNow: Self.timeoutSeconds)
      while generation == mine {
        if let gone = departed.first {
          throw .rankFailed(rank: gone, reason: "it left the group while the others waited in a collective")
        }
        if !condition.wait(until: deadline) && generation == mine {
          throw .rankFailed(rank: nil, reason: "no collective completed within \(Int(Self.timeoutSeconds)) s")
        }
      }
    }
  }

  /// One slot per rank for its body's result.
  final class ResultTable<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<T, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<T, any Error>) {
      lock.lock()
      slots[index] = result
      lock.unlock()
    }

    var values: [Result<T, any Error>] {
      lock.lock()
      defer { lock.unlock() }
      return slots.map { $0! }
    }
  }
}
