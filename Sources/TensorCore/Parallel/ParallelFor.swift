import Dispatch
import Foundation

/// The number of processor cores that parallel kernels split their work across.
public let processorCount: Int = ProcessInfo.processInfo.activeProcessorCount

/// Runs `body` over contiguous chunks of `0..<count` on all cores and waits for all of them.
///
/// Chunks are at least `minimumChunk` long, so small problems stay on the calling thread; `body` must be
/// safe to run concurrently on disjoint ranges.
///
/// - Parameters:
///   - count: The number of work items (rows, blocks, channels).
///   - minimumChunk: The fewest items worth a task of their own.
///   - body: The work for one half-open range of items.
/// - Complexity: O(count) calls' worth of `body`, spread over ``processorCount`` threads.
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
  guard count > 0 else { return }
  let chunks = min(processorCount, max(1, count / max(1, minimumChunk)))
  if chunks == 1 {
    body(0..<count)
    return
  }
  withoutActuallyEscaping(body) { body in
    // The chunks are disjoint; making them safe to run concurrently is the caller's contract.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
      let start = chunk * count / chunks
      let end = (chunk + 1) * count / chunks
      if start < end { body(start..<end) }
    }
  }
}
