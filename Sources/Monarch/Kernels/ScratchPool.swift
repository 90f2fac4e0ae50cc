import Foundation

/// Scratch buffers kept between the calls of the Monarch kernels on borrowed factors, so that a training loop
/// that calls them every step with the same sizes takes no memory from the system after its first step.
///
/// Large allocations come straight from the system as fresh pages, and touching them costs a page fault per
/// 4 KB, more than the products themselves at 64 blocks. A call takes the smallest free buffer that is large
/// enough (or a new one), and gives it back when it returns; concurrent calls get different buffers. At most
/// ``retainedBuffers`` free buffers are kept, the largest ones.
final class ScratchPool: @unchecked Sendable {
  /// The pool shared by every view.
  static let shared = ScratchPool()

  /// The most free buffers kept.
  static let retainedBuffers = 4

  private let lock = NSLock()
  private var free: [(base: UnsafeMutableRawPointer, bytes: Int)] = []

  deinit {
    for buffer in free { buffer.base.deallocate() }
  }

  /// Runs `body` with at least `bytes` bytes of 64-byte aligned, uninitialized memory.
  ///
  /// - Complexity: O(``retainedBuffers``) besides `body`; one system allocation only when no free buffer fits.
  func withBuffer<R>(bytes: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
    let needed = max(bytes, 64)
    let taken: (base: UnsafeMutableRawPointer, bytes: Int) = lock.withLock {
      let fitting = free.indices.filter { free[$0].bytes >= needed }
      guard let best = fitting.min(by: { free[$0].bytes < free[$1].bytes }) else {
        return (UnsafeMutableRawPointer.allocate(byteCount: needed, alignment: 64), needed)
      }
      return free.remove(at: best)
    }
    defer {
      lock.withLock {
        free.append(taken)
        if free.count > Self.retainedBuffers {
          let smallest = free.indices.min { free[$0].bytes < free[$1].bytes }!
          free.remove(at: smallest).base.deallocate()
        }
      }
    }
    return body(taken.base)
  }
}
