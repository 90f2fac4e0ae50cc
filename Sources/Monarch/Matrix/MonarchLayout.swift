import TensorCore

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
  public var inBlockSize: Int { inFeatures / inBlocks + (inFeatures % inBlocks == 0 ? 0 : 1) }
  /// `s = ⌈out/l⌉`: the output size of each block of the second factor.
  public var outBlockSize: Int { outFeatures / outBlocks + (outFeatures % outBlocks == 0 ? 0 : 1) }
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
  /// - Throws: ``MonarchError/invalidLayout(_:)`` when the blocks leave a block of pure padding or the rank
  ///   does not fit the slice size.
  public init(inFeatures: Int, outFeatures: Int, inBlocks: Int, outBlocks: Int, rank: Int) throws {
    guard rank >= 1 else { throw MonarchError.invalidLayout("rank must be at least 1, got \(rank)") }
    let (firstBlockRows, rowsOverflow) = rank.multipliedReportingOverflow(by: outBlocks)
    let (secondBlockColumns, columnsOverflow) = rank.multipliedReportingOverflow(by: inBlocks)
    guard !rowsOverflow, !columnsOverflow else {
      throw MonarchError.invalidLayout("rank \(rank) times the blocks \(inBlocks), \(outBlocks) overflows Int")
    }
    try self.init(
      inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: inBlocks, outBlocks: outBlocks,
      firstBlockRows: firstBlockRows, secondBlockColumns: secondBlockColumns)
    let sliceSize = min(inBlockSize, outBlockSize)
    guard rank <= sliceSize else {
      throw MonarchError.invalidLayout(
        "rank \(rank) is above the slice size \(sliceSize) (slices are \(outBlockSize)×\(inBlockSize) "
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
  /// - Throws: ``MonarchError/invalidLayout(_:)`` as the designated initializer does.
  public init(inFeatures: Int, outFeatures: Int, blocks: Int, rank: Int? = nil) throws {
    try self.init(
      inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: blocks, outBlocks: blocks,
      rank: rank ?? MonarchLayout.defaultRank(inFeatures: inFeatures, outFeatures: outFeatures, blocks: blocks))
  }

  /// Creates a layout of any factor shapes `w1: (k, q, p)`, `w2: (l, s, r)` with `k·q = l·r`.
  ///
  /// - Throws: ``MonarchError/invalidLayout(_:)`` when the shapes do not chain or do not fit the features.
  public init(
    inFeatures: Int, outFeatures: Int, inBlocks: Int, outBlocks: Int, firstBlockRows: Int, secondBlockColumns: Int
  ) throws {
    guard inFeatures >= 1, outFeatures >= 1 else {
      throw MonarchError.invalidLayout("matrix \(outFeatures)×\(inFeatures) has no elements")
    }
    guard (1...inFeatures).contains(inBlocks) else {
      throw MonarchError.invalidLayout("in-blocks \(inBlocks) must be in 1...\(inFeatures) (the input width)")
    }
    guard (1...outFeatures).contains(outBlocks) else {
      throw MonarchError.invalidLayout("out-blocks \(outBlocks) must be in 1...\(outFeatures) (the output width)")
    }
    let (middle, middleOverflow) = inBlocks.multipliedReportingOverflow(by: firstBlockRows)
    let (otherMiddle, otherOverflow) = outBlocks.multipliedReportingOverflow(by: secondBlockColumns)
    guard firstBlockRows >= 1, secondBlockColumns >= 1, !middleOverflow, !otherOverflow, middle == otherMiddle
    else {
      throw MonarchError.invalidLayout(
        "factor shapes do not chain: k·q = \(inBlocks)·\(firstBlockRows) but l·r = \(outBlocks)·\(secondBlockColumns)")
    }
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.inBlocks = inBlocks
    self.outBlocks = outBlocks
    self.firstBlockRows = firstBlockRows
    self.secondBlockColumns = secondBlockColumns
    // Every size derived from the layout (padded widths, factor and parameter counts) must fit an Int, so that
    // the getters above and the kernels never overflow, whatever a file declares.
    let (blockSizes, blockSizesOverflow) = inBlockSize.addingReportingOverflow(outBlockSize)
    let derived = [
      [inBlocks, inBlockSize], [outBlocks, outBlockSize], [middle, inBlockSize], [middle, outBlockSize],
      [middle, blockSizes, 2],
    ]
    guard !blockSizesOverflow, derived.allSatisfy({ Tensor<Float>.checkedElementCount(of: $0) != nil }) else {
      throw MonarchError.invalidLayout(
        "factor shapes (\(inBlocks), \(firstBlockRows), \(inBlockSize)) and (\(outBlocks), \(outBlockSize), "
          + "\(secondBlockColumns)) for \(outFeatures)×\(inFeatures) overflow Int")
    }
    guard (inBlocks - 1) * inBlockSize < inFeatures else {
      throw MonarchError.invalidLayout(
        "\(inBlocks) in-blocks do not fit \(inFeatures) inputs: blocks of \(inBlockSize) leave the last block empty")
    }
    guard (outBlocks - 1) * outBlockSize < outFeatures else {
      throw MonarchError.invalidLayout(
        "\(outBlocks) out-blocks do not fit \(outFeatures) outputs: blocks of \(outBlockSize) leave the last block empty")
    }
  }

  /// The default slice rank `max(1, min(in, out) / blocks²)`: the paper's square class when
  /// `blocks = √n`, the reference `MonarchLinear(nblocks: blocks)` otherwise.
  public static func defaultRank(inFeatures: Int, outFeatures: Int, blocks: Int) -> Int {
    defaultRank(inFeatures: inFeatures, outFeatures: outFeatures, inBlocks: blocks, outBlocks: blocks)
  }

  /// The default slice rank `max(1, min(in, out) / (k·l))` for `k` in-blocks and `l` out-blocks: the middle
  /// width `ρ·k·l` is then about `min(in, out)`.
  public static func defaultRank(inFeatures: Int, outFeatures: Int, inBlocks: Int, outBlocks: Int) -> Int {
    max(1, min(inFeatures, outFeatures) / max(1, inBlocks * outBlocks))
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
