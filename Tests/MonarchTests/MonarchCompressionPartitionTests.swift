import Monarch
import Testing

@Suite("Spreading compression layers over ranks")
struct MonarchCompressionPartitionTests {
  func layout(_ rows: Int, _ columns: Int, blocks: Int = 2) throws -> MonarchLayout {
    try MonarchLayout(inFeatures: columns, outFeatures: rows, blocks: blocks)
  }

  /// The smallest largest load over every assignment of `costs` to `ranks` ranks, by enumeration.
  func optimalMakespan(_ costs: [Double], ranks: Int) -> Double {
    var best = Double.infinity
    var loads = [Double](repeating: 0, count: ranks)
    func place(_ i: Int) {
      if i == costs.count {
        best = min(best, loads.max()!)
        return
      }
      for r in 0..<ranks {
        loads[r] += costs[i]
        place(i + 1)
        loads[r] -= costs[i]
      }
    }
    place(0)
    return best
  }

  @Test func everyLayerGoesToOneRankAndTheLargestLoadIsWithinGrahamsBound() throws {
    let layouts = try [(64, 64), (32, 64), (64, 32), (16, 16), (32, 32), (48, 64), (64, 64)].map { try layout($0.0, $0.1) }
    for ranks in 1...4 {
      let partition = try MonarchCompressionPartition(layouts: layouts, ranks: ranks)
      let costs = layouts.map(MonarchCompressionPartition.projectionCost(of:))
      #expect((0..<ranks).flatMap { partition.layers(of: $0) }.sorted() == Array(layouts.indices))
      for rank in 0..<ranks {
        #expect(partition.loads[rank] == partition.layers(of: rank).reduce(0) { $0 + costs[$1] })
        #expect(!partition.layers(of: rank).isEmpty)
      }
      #expect(partition.loads.max()! <= 4.0 / 3.0 * optimalMakespan(costs, ranks: ranks))
    }
    // The cost is in · out · min(in/b, out/b): 64 · 64 · 32 for a 64 × 64 matrix in 2 blocks.
    #expect(MonarchCompressionPartition.projectionCost(of: layouts[0]) == 64 * 64 * 32)
  }

  @Test func theLargestLayersGoFirstToTheLeastLoadedRank() throws {
    // Costs 64 · rows · rows/2: 8192, 18432, 32768, 18432, 8192. Layer 2 goes to rank 0, layers 1 and 3 (tied,
    // by index) to rank 1 (18432, then 36864), layer 0 to rank 0 (40960), layer 4 to rank 1 (45056).
    let layouts = try [16, 24, 32, 24, 16].map { try layout($0, 64) }
    let partition = try MonarchCompressionPartition(layouts: layouts, ranks: 2)
    #expect(partition.layers(of: 0) == [0, 2] && partition.layers(of: 1) == [1, 3, 4])
    #expect(partition.loads == [40960, 45056])
    #expect(partition.owners == (try MonarchCompressionPartition(layouts: layouts, ranks: 2)).owners)
  }

  @Test func moreRanksThanLayersIsAnError() throws {
    let layouts = try [layout(8, 8), layout(8, 8)]
    #expect(throws: MonarchError.moreRanksThanLayers(ranks: 3, layers: 2)) {
      try MonarchCompressionPartition(layouts: layouts, ranks: 3)
    }
  }
}
