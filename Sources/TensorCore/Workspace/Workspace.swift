/// Scratch memory for one training or inference step: a bump allocator over one 64-byte-aligned buffer,
/// reset at the start of every step.
///
/// A step asks for the same buffers in the same order every time, so after the first step the workspace holds
/// one block large enough for all of them and hands out pointers into it with no system allocation at all.
/// When a step asks for more than the block holds (the first step, or a larger batch), the workspace takes an
/// extra block for the rest of that step and, at the next ``reset()``, replaces all its blocks by one of the
/// peak size. ``systemAllocations`` counts the blocks ever taken, so a test can check that a steady step takes
/// none.
///
/// Every allocation starts on a 64-byte boundary (a cache line, and the widest SIMD load). Memory handed out is
/// uninitialized unless asked for zeroed. Pointers are valid until the next ``reset()`` and only while the
/// workspace itself lives: a function that reads views after its last call into a local workspace keeps it
/// alive with `withExtendedLifetime(workspace) { ... }`. Using a pointer after either end is a programmer
/// error that the workspace cannot detect.
///
/// ```swift
/// let workspace = Workspace()
/// for step in 0..<steps {
///   workspace.reset()
///   let hidden = workspace.matrix(rows: tokens, columns: width)   // same memory every step
///   ...
/// }
/// ```
public final class Workspace {
  /// The alignment of every allocation, in bytes.
  public static let alignment = 64

  private struct Block {
    let base: UnsafeMutableRawPointer
    let capacity: Int
  }

  private var blocks: [Block] = []
  /// Bytes used in the last block.
  private var usedInLastBlock = 0
  /// Bytes handed out since the last reset, over all blocks.
  public private(set) var bytesInUse = 0
  /// The most bytes any step has used.
  public private(set) var peakBytes = 0
  /// How many blocks the workspace has taken from the system since it was created.
  public private(set) var systemAllocations = 0

  /// Creates a workspace that starts with one block of `capacity` bytes (none when 0).
  public init(capacity: Int = 0) {
    precondition(capacity >= 0, "Workspace: negative capacity \(capacity)")
    if capacity > 0 { addBlock(capacity: capacity) }
  }

  deinit {
    for block in blocks { block.base.deallocate() }
  }

  /// The total capacity of the blocks held now, in bytes.
  public var capacity: Int { blocks.reduce(0) { $0 + $1.capacity } }

  /// Starts a new step: every earlier pointer becomes invalid, and if the last step needed several blocks they
  /// are replaced by one block of the peak size.
  ///
  /// - Complexity: O(1), or one system allocation after a step that outgrew the workspace.
  public func reset() {
    if blocks.count > 1 {
      for block in blocks { block.base.deallocate() }
      blocks.removeAll(keepingCapacity: true)
      addBlock(capacity: peakBytes)
    }
    usedInLastBlock = 0
    bytesInUse = 0
  }

  /// Uninitialized memory for `count` values of `type`, 64-byte aligned.
  ///
  /// - Complexity: O(1) when the current block has room.
  public func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    precondition(count >= 0, "Workspace.allocate: negative count \(count)")
    let stride = MemoryLayout<T>.stride
    precondition(MemoryLayout<T>.alignment <= Workspace.alignment, "Workspace.allocate: \(T.self) needs more alignment")
    let (bytes, overflow) = count.multipliedReportingOverflow(by: stride)
    precondition(!overflow, "Workspace.allocate: \(count) values of \(T.self) overflow Int")
    let rounded = Workspace.roundUp(max(bytes, 1))
    if blocks.isEmpty || usedInLastBlock + rounded > blocks[blocks.count - 1].capacity {
      addBlock(capacity: max(rounded, capacity))
      usedInLastBlock = 0
    }
    let pointer = blocks[blocks.count - 1].base + usedInLastBlock
    usedInLastBlock += rounded
    bytesInUse += rounded
    peakBytes = max(peakBytes, bytesInUse)
    return pointer.bindMemory(to: type, capacity: count)
  }

  /// Memory for `count` values of `type`, every byte zero.
  ///
  /// - Complexity: O(count).
  public func allocateZeroed<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let pointer = allocate(type, count: count)
    UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride)
    return pointer
  }

  /// A contiguous `rows × columns` matrix of uninitialized `Float`s (zeros when `zeroed`).
  public func matrix(rows: Int, columns: Int, zeroed: Bool = false) -> MutableMatrixView<Float> {
    precondition(rows >= 0 && columns >= 0, "Workspace.matrix: negative extent \(rows)×\(columns)")
    let count = rows * columns
    let base = zeroed ? allocateZeroed(Float.self, count: count) : allocate(Float.self, count: count)
    return MutableMatrixView(base, rows: rows, columns: columns, leadingDimension: max(columns, 1))
  }

  private static func roundUp(_ bytes: Int) -> Int { (bytes + alignment - 1) / alignment * alignment }

  private func addBlock(capacity: Int) {
    let size = Workspace.roundUp(max(capacity, Workspace.alignment))
    blocks.append(Block(base: .allocate(byteCount: size, alignment: Workspace.alignment), capacity: size))
    systemAllocations += 1
  }
}
