import CMPILoader
import CTemporaryFiles
import Dispatch
import Foundation

/// The ranks of an `mpirun` job (Open MPI's `MPI_COMM_WORLD`), with Open MPI loaded at run time.
///
/// Nothing of MPI is needed to build or to run outside `mpirun`: the first call to ``world(timeout:maximumBytesPerCall:)`` opens
/// `libmpi.so.40` (or `libmpi.so`) with `dlopen`, calls `MPI_Init_thread` asking for `MPI_THREAD_SERIALIZED`
/// and sets `MPI_ERRORS_RETURN` on the communicator, so an MPI error is a thrown ``DistributedError`` instead of
/// the end of the job.
///
/// Every collective runs on one serial communication thread, in the order the ranks call or start them; the
/// caller waits (or, for ``startAllReduce(_:_:)``, goes on working). A collective is a nonblocking MPI call
/// polled with `MPI_Test` against a deadline of ``timeout`` seconds, so a rank that vanished or hangs ends
/// as ``DistributedError/rankFailed(rank:reason:)`` on the others instead of a hang; the failed rank is named
/// when it is a process on this host that no longer exists.
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
  // Immutable after `init`; the MPI calls themselves run only on `communication`.
  public let rank: Int
  public let size: Int
  /// The seconds a collective may wait for the other ranks before it fails.
  public let timeout: Double
  /// The largest message of one MPI call, in bytes: larger buffers go in chunks of this size (MPI counts are
  /// 32-bit).
  public let maximumBytesPerCall: Int
  private let api: sml_mpi_api
  private let communication = DispatchQueue(label: "structml.mpi.communication")
  /// Each rank's process id where it runs on this host, 0 elsewhere (set once, in `init`).
  private var peerProcessIDs: [Int32] = []

  nonisolated(unsafe) private static var started: Result<MPIProcessGroup, DistributedError>?
  private static let startLock = NSLock()

  /// The library names tried, in order.
  public static let libraryNames = ["libmpi.so.40", "libmpi.so"]

  /// The group of every rank of the job: MPI is loaded and initialized by the first call, which every rank
  /// makes; later calls return the same group (or the same error).
  ///
  /// - Parameters:
  ///   - timeout: seconds a collective waits for the others (used by the first call only).
  ///   - maximumBytesPerCall: the largest message of one MPI call (used by the first call only).
  public static func world(timeout: Double = 600, maximumBytesPerCall: Int = 1 << 26) throws(DistributedError)
    -> MPIProcessGroup
  {
    startLock.lock()
    defer { startLock.unlock() }
    if started == nil {
      do throws(DistributedError) {
        started = .success(try MPIProcessGroup(timeout: timeout, maximumBytesPerCall: maximumBytesPerCall))
      } catch {
        started = .failure(error)
      }
    }
    return try started!.get()
  }

  /// Ends MPI (`MPI_Finalize`) if ``world(timeout:maximumBytesPerCall:)`` started it. Call once, on success, as the process ends: a rank
  /// that fails exits without it, so that `mpirun` stops the others.
  public static func finalizeIfStarted() {
    startLock.lock()
    defer { startLock.unlock() }
    if case .success(let group)? = started {
      group.communication.sync { _ = group.api.finalize!() }
    }
  }

  private init(timeout: Double, maximumBytesPerCall: Int) throws(DistributedError) {
    var api = sml_mpi_api()
    var message = [CChar](repeating: 0, count: 512)
    guard sml_mpi_load(&api, &message, message.count) == 0 else {
      throw .libraryUnavailable(
        library: Self.libraryNames.joined(separator: " or "), reason: Self.text(message))
    }
    self.api = api
    self.timeout = timeout
    self.maximumBytesPerCall = maximumBytesPerCall
    var provided: Int32 = 0
    try Self.check(api.init_thread!(nil, nil, SML_MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread", api)
    guard provided >= SML_MPI_THREAD_SERIALIZED else {
      throw .threadLevelTooLow(required: Int(SML_MPI_THREAD_SERIALIZED), provided: Int(provided))
    }
    try Self.check(api.comm_set_errhandler!(api.comm_world, api.errors_return), "MPI_Comm_set_errhandler", api)
    var value: Int32 = 0
    try Self.check(api.comm_rank!(api.comm_world, &value), "MPI_Comm_rank", api)
    rank = Int(value)
    try Self.check(api.comm_size!(api.comm_world, &value), "MPI_Comm_size", api)
    size = Int(value)
    peerProcessIDs = try exchangeProcessIDs()
  }

  /// Makes the SIGTERM that `mpirun` sends to every rank after one died end this process with status 1 and
  /// "structml: rank N failed: ..." naming the dead rank (when it ran on this host), after removing the
  /// temporary files of outputs being written; a SIGTERM with every rank alive goes to the handler installed
  /// before. For the main program, after its own signal handlers.
  public func reportFailedRanksOnTermination() {
    _ = peerProcessIDs.withUnsafeBufferPointer {
      sml_mpi_watch_peers($0.baseAddress, Int32(size), Int32(rank), sml_temporary_files_remove_registered)
    }
  }

  // MARK: - Collectives

  public func barrier() throws(DistributedError) {
    try run("barrier") { api, request in api.ibarrier!(api.comm_world, request) }
  }

  public func broadcast(_ bytes: inout [UInt8], root: Int) throws(DistributedError) {
    try checkRoot(root)
    var count = Int64(bytes.count)
    try throwingDistributedErrors { try withUnsafeMutableBytes(of: &count) { raw in
      let buffer = UncheckedPointer(raw.baseAddress!)
      try run("broadcast") { api, request in api.ibcast!(buffer.pointer, 8, api.type_byte, Int32(root), api.comm_world, request) }
    } }
    if rank != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
    try throwingDistributedErrors {
      try bytes.withUnsafeMutableBytes { raw in
        try forEachChunk(of: raw, elementSize: 1) { chunk, elements throws(DistributedError) in
          try run("broadcast") { api, request in
            api.ibcast!(chunk.pointer, elements, api.type_byte, Int32(root), api.comm_world, request)
          }
        }
      }
    }
  }

  public func allReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation)
    throws(DistributedError)
  {
    try reduce(UnsafeMutableRawBufferPointer(values), elementSize: 4, type: api.type_float)
    if operation == .average { Self.divide(values, by: Float(size)) }
  }

  public func allReduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation)
    throws(DistributedError)
  {
    try reduce(UnsafeMutableRawBufferPointer(values), elementSize: 8, type: api.type_double)
    if operation == .average { Self.divide(values, by: Double(size)) }
  }

  /// Queues the reduction on the communication thread and returns at once.
  public func startAllReduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation)
    -> PendingAllReduce
  {
    let pending = PendingAllReduce()
    let buffer = UncheckedBuffer(values: values)
    communication.async {
      do throws(DistributedError) {
        try self.reduceOnCommunicationThread(
          UnsafeMutableRawBufferPointer(buffer.values), elementSize: 4, type: self.api.type_float)
        if operation == .average { Self.divide(buffer.values, by: Float(self.size)) }
        pending.finish(nil)
      } catch {
        pending.finish(error)
      }
    }
    return pending
  }

  public func gather(_ bytes: [UInt8], root: Int) throws(DistributedError) -> [[UInt8]]? {
    try checkRoot(root)
    var counts = [Int32](repeating: 0, count: size)
    guard bytes.count <= Int32.max else {
      throw .callFailed(function: "MPI_Igatherv", code: -1, message: "\(bytes.count) bytes exceed 2^31 - 1")
    }
    var own = [Int32(bytes.count)]
    try throwingDistributedErrors { try own.withUnsafeMutableBufferPointer { sendCount in
      try counts.withUnsafeMutableBufferPointer { all in
        let (send, receive) = (UncheckedPointer(sendCount.baseAddress!), UncheckedPointer(all.baseAddress!))
        try run("gather") { api, request in
          api.iallgather!(send.pointer, 1, api.type_int, receive.pointer, 1, api.type_int, api.comm_world, request)
        }
      }
    } }
    let total = counts.reduce(0) { $0 + Int($1) }
    guard total <= Int32.max else {
      throw .callFailed(function: "MPI_Igatherv", code: -1, message: "\(total) bytes in all exceed 2^31 - 1")
    }
    var offsets = [Int32](repeating: 0, count: size)
    for index in 1..<max(1, size) { offsets[index] = offsets[index - 1] + counts[index - 1] }
    var received = [UInt8](repeating: 0, count: rank == root ? max(1, total) : 1)
    var sendCopy = bytes.isEmpty ? [0] : bytes
    try throwingDistributedErrors { try received.withUnsafeMutableBytes { receive in
      try sendCopy.withUnsafeMutableBytes { send in
        try counts.withUnsafeMutableBufferPointer { countPointer in
          try offsets.withUnsafeMutableBufferPointer { offsetPointer in
            let pointers = (
              UncheckedPointer(send.baseAddress!), UncheckedPointer(receive.baseAddress!),
              UncheckedPointer(countPointer.baseAddress!), UncheckedPointer(offsetPointer.baseAddress!)
            )
            let sendCount = Int32(bytes.count)
            try run("gather") { api, request in
              api.igatherv!(
                pointers.0.pointer, sendCount, api.type_byte, pointers.1.pointer,
                pointers.2.pointer.assumingMemoryBound(to: Int32.self),
                pointers.3.pointer.assumingMemoryBound(to: Int32.self), api.type_byte, Int32(root), api.comm_world,
                request)
            }
          }
        }
      }
    } }
    guard rank == root else { return nil }
    return (0..<size).map { index in Array(received[Int(offsets[index])..<Int(offsets[index] + counts[index])]) }
  }

  // MARK: - Running one MPI call

  /// Turns the sums into means (a division, not a multiplication by 1/P, so a mean over two ranks is exact).
  private static func divide<Scalar: FloatingPoint>(_ values: UnsafeMutableBufferPointer<Scalar>, by count: Scalar) {
    for index in values.indices { values[index] /= count }
  }

  private func checkRoot(_ root: Int) throws(DistributedError) {
    guard (0..<size).contains(root) else { throw .invalidRoot(root: root, size: size) }
  }

  private func reduce(_ raw: UnsafeMutableRawBufferPointer, elementSize: Int, type: sml_mpi_handle?)
    throws(DistributedError)
  {
    let buffer = UncheckedRawBuffer(raw: raw)
    let typeHandle = UncheckedPointer(type!)
    let outcome: Result<Void, DistributedError> = communication.sync {
      do throws(DistributedError) {
        try reduceOnCommunicationThread(buffer.raw, elementSize: elementSize, type: typeHandle.pointer)
        return .success(())
      } catch {
        return .failure(error)
      }
    }
    try outcome.get()
  }

  /// Sums `raw` over the ranks in chunks of at most ``maximumBytesPerCall``; runs on `communication`.
  private func reduceOnCommunicationThread(
    _ raw: UnsafeMutableRawBufferPointer, elementSize: Int, type: sml_mpi_handle?
  ) throws(DistributedError) {
    try forEachChunk(of: raw, elementSize: elementSize) { chunk, elements throws(DistributedError) in
      try polled("allreduce") { api, request in
        api.iallreduce!(UnsafeRawPointer(bitPattern: 1), chunk.pointer, elements, type, api.op_sum, api.comm_world, request)
      }
    }
  }

  /// Calls `body` for consecutive chunks of `raw`, each at most ``maximumBytesPerCall`` bytes.
  private func forEachChunk(
    of raw: UnsafeMutableRawBufferPointer, elementSize: Int,
    _ body: (UncheckedPointer, Int32) throws(DistributedError) -> Void
  ) throws(DistributedError) {
    let elements = raw.count / elementSize
    let perCall = max(1, maximumBytesPerCall / elementSize)
    var start = 0
    while start < elements {
      let count = min(perCall, elements - start)
      try body(UncheckedPointer(raw.baseAddress! + start * elementSize), Int32(count))
      start += count
    }
  }

  /// Runs one collective on the communication thread and waits for it.
  private func run(_ name: String, _ start: (sml_mpi_api, UnsafeMutablePointer<sml_mpi_handle?>) -> Int32)
    throws(DistributedError)
  {
    let outcome: Result<Void, DistributedError> = communication.sync {
      do throws(DistributedError) {
        try polled(name, start)
        return .success(())
      } catch {
        return .failure(error)
      }
    }
    try outcome.get()
  }

  /// Starts a nonblocking MPI call and polls it with `MPI_Test` until it completes or ``timeout`` passes.
  ///
  /// It spins first (a small message completes within microseconds), then yields, then sleeps 100 µs between
  /// tests, so that a rank waiting long for the others leaves the cores to them.
  private func polled(_ name: String, _ start: (sml_mpi_api, UnsafeMutablePointer<sml_mpi_handle?>) -> Int32)
    throws(DistributedError)
  {
    var request: sml_mpi_handle? = nil
    try Self.check(start(api, &request), "MPI_I\(name)", api)
    let begin = DispatchTime.now().uptimeNanoseconds
    let limit = UInt64(timeout * 1e9)
    var flag: Int32 = 0
    var tests = 0
    while true {
      try Self.check(api.test!(&request, &flag, nil), "MPI_Test (\(name))", api)
      if flag != 0 { return }
      tests += 1
      if tests < 2000 { continue }
      if DispatchTime.now().uptimeNanoseconds - begin > limit {
        let dead = sml_mpi_first_dead_peer()
        let seconds = String(format: "%g", timeout)
        throw .rankFailed(
          rank: dead >= 0 ? Int(dead) : nil,
          reason: dead >= 0
            ? "its process ended (rank \(rank) waited \(seconds) s for it in \(name))"
            : "no answer within \(seconds) s in \(name) (seen from rank \(rank))")
      }
      if tests < 20000 { sched_yield() } else { usleep(100) }
    }
  }

  /// Every rank's process id where it runs on this host (0 elsewhere), for naming a dead rank.
  private func exchangeProcessIDs() throws(DistributedError) -> [Int32] {
    var hostName = [CChar](repeating: 0, count: 256)
    gethostname(&hostName, hostName.count - 1)
    var hostHash: UInt32 = 2_166_136_261
    for byte in hostName.prefix(while: { $0 != 0 }) { hostHash = (hostHash ^ UInt32(UInt8(bitPattern: byte))) &* 16_777_619 }
    var own: [Int32] = [getpid(), Int32(bitPattern: hostHash)]
    var all = [Int32](repeating: 0, count: 2 * size)
    try throwingDistributedErrors { try own.withUnsafeMutableBufferPointer { send in
      try all.withUnsafeMutableBufferPointer { receive in
        let (s, r) = (UncheckedPointer(send.baseAddress!), UncheckedPointer(receive.baseAddress!))
        try run("allgather") { api, request in
          api.iallgather!(s.pointer, 2, api.type_int, r.pointer, 2, api.type_int, api.comm_world, request)
        }
      }
    } }
    return (0..<size).map { index in all[2 * index + 1] == own[1] ? all[2 * index] : 0 }
  }

  /// The text of a zero-terminated C string buffer.
  private static func text(_ characters: [CChar]) -> String {
    String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  private static func check(_ code: Int32, _ function: String, _ api: sml_mpi_api) throws(DistributedError) {
    guard code != 0 else { return }
    var text = [CChar](repeating: 0, count: Int(SML_MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    let message = api.error_string!(code, &text, &length) == 0 ? Self.text(text) : "unknown MPI error"
    throw .callFailed(function: function, code: Int(code), message: message)
  }
}

/// A pointer handed to the communication thread, which uses it only while the caller waits (or, for a started
/// reduction, while the caller has promised not to touch it).
struct UncheckedPointer: @unchecked Sendable {
  let pointer: UnsafeMutableRawPointer
  init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
}

/// A buffer handed to the communication thread, under the same promise as ``UncheckedPointer``.
struct UncheckedBuffer: @unchecked Sendable {
  let values: UnsafeMutableBufferPointer<Float>
}

/// A raw buffer handed to the communication thread, under the same promise as ``UncheckedPointer``.
struct UncheckedRawBuffer: @unchecked Sendable {
  let raw: UnsafeMutableRawBufferPointer
}
