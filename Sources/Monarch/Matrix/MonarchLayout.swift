/// The shape parameters of a Monarch matrix: in-blocks `k`, out-blocks `l`, and the factor shapes
/// `w1: (k, q, p)` and `w2: (l, s, r)` with middle width `k·q = l·r`.
///
/// The matrix is `outFeatures × inFeatures` and acts as `y = x Mᵀ` on rows `x` (the `nn.Linear` convention).
/// Sizes that the blocks do not divide are zero-padded: `p = ⌈in/k⌉`, `s = ⌈out/l⌉`; inputs are padded with
/// zeros to `k·p` columns and outputs truncated from `l·s` to `out` columns, as the PyTorch reference does.
///
/// In the usual layout `q = ρ·l` and `r = ρ·k` for a slice rank `ρ`: every slice
/// `M[ll::l, kk·p ..< (kk+1)·p]` then has rank at most `ρ`. Layouts read from files may have any `q` with
/// `l·r = k·q`; ``sliceRanks`` reports what each slice can reach.
///
/// Every initializer checks its arithmetic: the widths `in`, `out`, `k·p`, `l·s` and `k·q`, and every factor
/// extent, must fit the 32-bit integers of the BLAS and C kernels, and the factor element and parameter counts
/// must fit `Int`; anything larger throws ``MonarchError/sizeOverflow(field:detail:)``. The derived sizes below
/// are therefore always representable.
public struct MonarchLayout: Sendable, Equatable, CustomStringConvertible {
  /// The number of input features (columns of the matrix), before padding.
  public let inFeatures: Int
  /// The number of output features (rows of the matrix), before truncation.
  public let outFeatures: Int
  /// `k`: the number of blocks of the first factor.
  public let inBlocks: Int
  /// `l`: the number of blocks of the second factor.
  public let outBlocks: Int
  /// `q`: the output size of each block of the first factor.
  public let firstBlockRows: Int
  /// `r`: the input size of each block of the second factor.
  public let secondBlockColumns: Int

  /// `p = ⌈in/k⌉`: the input size of each block of the first factor.
  public var inBlockSize: Int { Self.ceilingQuotient(inFeatures, inBlocks) }
  /// `s = ⌈out/l⌉`: the output size of each block of the second factor.
  public var outBlockSize: Int { Self.ceilingQuotient(outFeatures, outBlocks) }
  /// `k·p`: the input width after zero padding.
  public var paddedInFeatures: Int { inBlocks * inBlockSize }
  /// `l·s`: the output width before truncation.
  public var paddedOutFeatures: Int { outBlocks * outBlockSize }
  /// `k·q = l·r`: the width between the two factors.
  public var middleWidth: Int { inBlocks * firstBlockRows }
  /// The shape `(k, q, p)` of `w1`.
  public var firstFactorShape: [Int] { [inBlocks, firstBlockRows, inBlockSize] }
  /// The shape `(l, s, r)` of `w2`.
  public var secondFactorShape: [Int] { [outBlocks, outBlockSize, secondBlockColumns] }
  /// `ρ = q / l` when every slice has the same rank bound, otherwise `nil`.
  public var sliceRank: Int? { firstBlockRows % outBlocks == 0 ? firstBlockRows / outBlocks : nil }
  /// The number of stored parameters, `k·q·p + l·s·r`.
  public var parameterCount: Int { middleWidth * (inBlockSize + outBlockSize) }
  /// The multiply–add count of one forward multiply of one row, times two: `2·(k·q·p + l·s·r)`.
  public var flopsPerRow: Int { 2 * parameterCount }

  /// Creates the standard layout with slice rank `ρ`: `w1: (k, ρ·l, p)`, `w2: (l, s, ρ·k)`.
  ///
  /// - Parameters:
  ///   - inFeatures: The number of columns of the matrix.
  ///   - outFeatures: The number of rows of the matrix.
  ///   - inBlocks: `k`, at most `inFeatures`.
  ///   - outBlocks: `l`, at most `outFeatures`.
  ///   - rank: `ρ`, from 1 to the slice size `min(⌈in/k⌉, ⌈out/l⌉)`.
  /// - Throws: ``MonarchError/invalidLayout(reason:)`` when the blocks leave a block of pure padding or the rank
  ///   does not fit the slice size.
  public init(inFeatures: Int, outFeatures: Int, inBlocks: Int, outBlocks: Int, rank: Int) throws {
    guard rank >= 1 else { throw MonarchError.invalidLayout(reason: "rank must be at least 1, got \(rank)") }
    try self.init(
      inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: inBlocks, outBlocks: outBlocks,
      firstBlockRows: try Self.product(rank, outBlocks, field: "q = rank·out-blocks"),
      secondBlockColumns: try Self.product(rank, inBlocks, field: "r = rank·in-blocks"))
    let sliceSize = min(inBlockSize, outBlockSize)
    guard rank <= sliceSize else {
      throw MonarchError.invalidLayout(
        reason: "rank \(rank) is above the slice size \(sliceSize) (slices are \(outBlockSize)×\(inBlockSize) "
          + "for \(outFeatures)×\(inFeatures) with \(inBlocks) in-blocks and \(outBlocks) out-blocks)")
    }
  }

  /// Creates the square-block layout `k = l = blocks` with the default or a given slice rank.
  ///
  /// - Parameters:
  ///   - inFeatures: The number of columns of the matrix.
  ///   - outFeatures: The number of rows of the matrix.
  ///   - blocks: The number of blocks of both factors.
  ///   - rank: `ρ`; `nil` chooses ``defaultRank(inFeatures:outFeatures:blocks:)``.
  /// - Throws: ``MonarchError/invalidLayout(reason:)`` as the designated initializer does.
  public init(inFeatures: Int, outFeatures: Int, blocks: Int, rank: Int? = nil) throws {
    try self.init(
      inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: blocks, outBlocks: blocks,
      rank: rank ?? MonarchLayout.defaultRank(inFeatures: inFeatures, outFeatures: outFeatures, blocks: blocks))
  }

  /// Creates a layout of any factor shapes `w1: (k, q, p)`, `w2: (l, s, r)` with `k·q = l·r`.
  ///
  /// - Throws: ``MonarchError/invalidLayout(reason:)`` when the shapes do not chain or do not fit the features,
  ///   ``MonarchError/sizeOverflow(field:detail:)`` when a width or count is out of range (see the type's
  ///   discussion).
  public init(
    inFeatures: Int, outFeatures: Int, inBlocks: Int, outBlocks: Int, firstBlockRows: Int, secondBlockColumns: Int
  ) throws {
    guard inFeatures >= 1, outFeatures >= 1 else {
      throw MonarchError.invalidLayout(reason: "matrix \(outFeatures)×\(inFeatures) has no elements")
    }
    guard (1...inFeatures).contains(inBlocks) else {
      throw MonarchError.invalidLayout(reason: "in-blocks \(inBlocks) must be in 1...\(inFeatures) (the input width)")
    }
    guard (1...outFeatures).contains(outBlocks) else {
      throw MonarchError.invalidLayout(
        reason: "out-blocks \(outBlocks) must be in 1...\(outFeatures) (the output width)")
    }
    guard firstBlockRows >= 1, secondBlockColumns >= 1 else {
      throw MonarchError.invalidLayout(
        reason: "factor extents q = \(firstBlockRows) and r = \(secondBlockColumns) must be at least 1")
    }
    let p = Self.ceilingQuotient(inFeatures, inBlocks)
    let s = Self.ceilingQuotient(outFeatures, outBlocks)
    let middle = try Self.product(inBlocks, firstBlockRows, field: "k·q")
    guard middle == (try Self.product(outBlocks, secondBlockColumns, field: "l·r")) else {
      throw MonarchError.invalidLayout(
        reason: "factor shapes do not chain: k·q = \(inBlocks)·\(firstBlockRows) "
          + "but l·r = \(outBlocks)·\(secondBlockColumns)")
    }
    let widths = [
      ("in_features", inFeatures), ("out_features", outFeatures), ("k·p", try Self.product(inBlocks, p, field: "k·p")),
      ("l·s", try Self.product(outBlocks, s, field: "l·s")), ("k·q", middle),
    ]
    for (field, width) in widths where Int32(exactly: width) == nil {
      throw MonarchError.sizeOverflow(field: field, detail: "\(width) is above the kernel limit \(Int32.max)")
    }
    let first = try Self.product(middle, p, field: "w1 element count k·q·p")
    let second = try Self.product(middle, s, field: "w2 element count l·s·r")
    let (parameters, overflow) = first.addingReportingOverflow(second)
    let flops = parameters.multipliedReportingOverflow(by: 2)
    guard !overflow, !flops.overflow else {
      throw MonarchError.sizeOverflow(field: "parameter count", detail: "\(first) + \(second) overflows Int")
    }
    guard (inBlocks - 1) * p < inFeatures else {
      throw MonarchError.invalidLayout(
        reason: "\(inBlocks) in-blocks do not fit \(inFeatures) inputs: blocks of \(p) leave the last block empty")
    }
    guard (outBlocks - 1) * s < outFeatures else {
      throw MonarchError.invalidLayout(
        reason: "\(outBlocks) out-blocks do not fit \(outFeatures) outputs: blocks of \(s) leave the last block empty")
    }
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.inBlocks = inBlocks
    self.outBlocks = outBlocks
    self.firstBlockRows = firstBlockRows
    self.secondBlockColumns = secondBlockColumns
  }

  /// `⌈a / b⌉` for positive `a` and `b`, without the overflow of `(a + b − 1) / b`.
  static func ceilingQuotient(_ a: Int, _ b: Int) -> Int { a / b + (a % b == 0 ? 0 : 1) }

  /// `a·b`, or ``MonarchError/sizeOverflow(field:detail:)`` naming `field` when the product overflows `Int`.
  static func product(_ a: Int, _ b: Int, field: String) throws -> Int {
    let (value, overflow) = a.multipliedReportingOverflow(by: b)
    guard !overflow else { throw MonarchError.sizeOverflow(field: field, detail: "\(a)·\(b) overflows Int") }
    return value
  }

  /// The default slice rank `max(1, min(in, out) / blocks²)`: the paper's square class when
  /// `blocks = √n`, the reference `MonarchLinear(nblocks: blocks)` otherwise.
  public static func defaultRank(inFeatures: Int, outFeatures: Int, blocks: Int) -> Int {
    defaultRank(inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: blocks, outBlocks: blocks)
  }

  /// The default slice rank `max(1, min(in, out) / (k·l))` for `k` in-blocks and `l` out-blocks: the middle
  /// width `ρ·k·l` is then about `min(in, out)`.
  public static func defaultRank(inFeatures: Int, outFeatures: Int, inBlocks: Int, outBlocks: Int) -> Int {
    let (blocks, overflow) = max(1, inBlocks).multipliedReportingOverflow(by: max(1, outBlocks))
    return overflow ? 1 : max(1, min(inFeatures, outFeatures) / blocks)
  }

  /// The rank that each slice `M[ll::l, kk·p ..< (kk+1)·p]` can reach, indexed `[kk][ll]`.
  ///
  /// A slice owns the middle indices `t ∈ [kk·q, (kk+1)·q)` with `t ≡ ll (mod l)`; its rank is at most their
  /// count, and at most the real (unpadded) size of the slice.
  /// - Complexity: O(k·l).
  public var sliceRanks: [[Int]] {
    (0..<inBlocks).map { kk in
      let columns = min(inBlockSize, inFeatures - kk * inBlockSize)
      return (0..<outBlocks).map { ll in
        let start = kk * firstBlockRows
        let end = start + firstBlockRows
        let first = start + (ll - start % outBlocks + outBlocks) % outBlocks
        let owned = first < end ? (end - 1 - first) / outBlocks + 1 : 0
        let rows = (0..<outBlockSize).filter { $0 * outBlocks + ll < outFeatures }.count
        return min(owned, rows, columns)
      }
    }
  }

  public var description: String {
    "Monarch \(outFeatures)×\(inFeatures): w1 \(firstFactorShape), w2 \(secondFactorShape)"
      + (sliceRank.map { ", slice rank \($0)" } ?? "")
  }
}
