import TensorCore

/// How a model compression chooses the Monarch layout of each dense layer.
///
/// A layer is compressed only when its layout stores fewer parameters than the dense `out × in` matrix;
/// every other outcome is a ``MonarchLayoutDecision`` that says why the layer stays dense, so that one layer a
/// layout does not fit never stops the compression of the others.
public enum MonarchLayoutRule: Sendable, Equatable {
  /// `blocks` in-blocks and out-blocks, with slice rank `rank`, or
  /// ``MonarchLayout/defaultRank(inFeatures:outFeatures:blocks:)`` when `nil`.
  case blocks(Int, rank: Int?)
  /// At most `fraction` (in `0 < fraction < 1`) of the dense parameters per layer: for each square block
  /// count in `blocks`, the largest slice rank within the budget, and of those layouts the one with the
  /// smallest exact projection error.
  case budget(fraction: Double, blocks: [Int])

  /// The block counts a budget tries when none is given: powers of two from 2 to 64.
  public static let budgetBlockCounts = [2, 4, 8, 16, 32, 64]

  /// The parameter budget `⌊fraction · rows · columns⌋` of a layer, for ``budget(fraction:blocks:)``.
  public static func budget(fraction: Double, rows: Int, columns: Int) -> Int {
    Int((fraction * Double(rows) * Double(columns)).rounded(.down))
  }

  /// The layout of the `rows × columns` layer `weight`, or why it stays dense.
  ///
  /// - Parameters:
  ///   - rows: The output width of the layer.
  ///   - columns: The input width.
  ///   - weight: Reads the dense matrix; called only when a budget has several layouts to compare.
  /// - Throws: What `weight` throws, and ``MonarchError`` when the error of a candidate cannot be computed.
  /// - Complexity: O(1) for ``blocks(_:rank:)``; for a budget, one exact projection error (an SVD of every
  ///   slice) per candidate block count.
  public func decision(rows: Int, columns: Int, weight: () throws -> Tensor<Float>) throws -> MonarchLayoutDecision {
    let dense = rows * columns
    switch self {
    case .blocks(let blocks, let rank):
      let layout: MonarchLayout
      do {
        layout = try MonarchLayout(inFeatures: columns, outFeatures: rows, blocks: blocks, rank: rank)
      } catch {
        return .layoutDoesNotFit(reason: "\(error)")
      }
      guard layout.parameterCount < dense else {
        return .notSmaller(layout: layout, parameters: layout.parameterCount, dense: dense)
      }
      return .compress(layout)
    case .budget(let fraction, let blockCounts):
      let budget = Self.budget(fraction: fraction, rows: rows, columns: columns)
      var candidates: [MonarchLayout] = []
      var smallest = Int.max
      for blocks in blockCounts {
        guard let rankOne = try? MonarchLayout(inFeatures: columns, outFeatures: rows, blocks: blocks, rank: 1) else {
          continue
        }
        smallest = min(smallest, rankOne.parameterCount)
        let sliceSize = min(rankOne.inBlockSize, rankOne.outBlockSize)
        let rank = min(sliceSize, budget / rankOne.parameterCount)
        guard rank >= 1,
          let layout = try? MonarchLayout(inFeatures: columns, outFeatures: rows, blocks: blocks, rank: rank),
          layout.parameterCount < dense
        else { continue }
        candidates.append(layout)
      }
      guard let first = candidates.first else {
        if smallest == Int.max {
          return .layoutDoesNotFit(
            reason: "none of the block counts \(blockCounts) fits a \(rows)×\(columns) matrix")
        }
        return .overBudget(budget: budget, smallest: smallest)
      }
      guard candidates.count > 1 else { return .compress(first) }
      let w = try weight()
      var best = (layout: first, error: Double.infinity)
      for layout in candidates {
        let error = try exactProjectionError(w, layout: layout)
        if error < best.error { best = (layout, error) }
      }
      return .compress(best.layout)
    }
  }
}
