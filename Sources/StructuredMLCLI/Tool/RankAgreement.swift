import Distributed

/// Steps of a command after which every rank of its process group learns whether all ranks succeeded, so that
/// a failure on one rank (an unreadable input, a full disk on rank 0) ends the command with a clear error on
/// every rank instead of leaving the others waiting in the next collective.
enum RankAgreement {
  /// Runs `body` on every rank, then agrees on the outcome.
  ///
  /// - Returns: What `body` returned, when it succeeded on every rank.
  /// - Throws: In a single process, what `body` throws. Over several ranks, ``CommandError/failure(_:)`` on
  ///   every rank when `body` failed on any, naming each failed rank and its error; a usage error stays a
  ///   usage error.
  static func onEveryRank<T>(_ group: any ProcessGroup, _ body: () throws -> T) throws -> T {
    let result = Result { try body() }
    guard group.size > 1 else { return try result.get() }
    var local: [UInt8] = []
    if case .failure(let error) = result { local = [(error as? CommandError)?.exitCode == 2 ? 2 : 1] + Array("\(error)".utf8) }
    let failures = try collective { () throws(DistributedError) in
      let gathered = try group.gather(local, root: 0)
      var summary: [UInt8] = []
      if let gathered {
        let failed = gathered.enumerated().filter { !$0.element.isEmpty }
        if !failed.isEmpty {
          let usage = failed.contains { $0.element[0] == 2 }
          summary = [usage ? 2 : 1] + Array(failed.map { "rank \($0.offset): " + String(decoding: $0.element.dropFirst(), as: UTF8.self) }
            .joined(separator: "; ").utf8)
        }
      }
      try group.broadcast(&summary, root: 0)
      return summary
    }
    if let first = failures.first {
      let message = String(decoding: failures.dropFirst(), as: UTF8.self)
      throw first == 2 ? CommandError.usage(message) : CommandError.failure(message)
    }
    return try result.get()
  }

  /// Runs `write` on rank 0 alone and broadcasts whether it succeeded.
  ///
  /// - Parameters:
  ///   - group: The command's ranks.
  ///   - what: The files, for the other ranks' message.
  ///   - write: What rank 0 writes.
  /// - Throws: On rank 0, what `write` throws; on the others, ``CommandError/failure(_:)`` when rank 0 failed;
  ///   on every rank, ``CommandError/failure(_:)`` when the broadcast fails.
  static func onRankZero(_ group: any ProcessGroup, writing what: String, _ write: () throws -> Void) throws {
    var failure: (any Error)?
    if group.rank == 0 {
      do { try write() } catch { failure = error }
    }
    guard group.size > 1 else {
      if let failure { throw failure }
      return
    }
    var outcome: [UInt8] = [failure == nil ? 0 : 1]
    try collective { () throws(DistributedError) in try group.broadcast(&outcome, root: 0) }
    if let failure { throw failure }
    if outcome != [0] { throw CommandError.failure("rank 0 failed to write \(what)") }
  }

  /// Runs collectives, turning their failure into ``CommandError/failure(_:)``.
  static func collective<T>(_ body: () throws(DistributedError) -> T) throws(CommandError) -> T {
    do {
      return try body()
    } catch {
      throw .failure("\(error)")
    }
  }
}
