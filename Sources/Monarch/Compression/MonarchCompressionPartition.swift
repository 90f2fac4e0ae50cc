/// The layers of a checkpoint's compression spread over `P` ranks, balanced by their projection cost: every
/// layer goes to exactly one rank, and each rank reads and projects only its own.
///
/// The assignment is greedy longest-processing-time: layers by decreasing ``projectionCost(of:)`` (ties by
/// index), each to the rank with the least cost so far (ties to the lowest rank). It depends only on the
/// layouts and `P`, so every rank computes the same partition without communicating, and its largest load is
/// at most 4/3 of the optimum (Graham's bound).
public struct MonarchCompressionPartition: Sendable, Equatable {
  /// The rank that compresses layer `i`, for every layer.
  public let owners: [Int]
  /// The summed ``projectionCost(of:)`` of each rank's layers.
  public let loads: [Double]

  /// Spreads `layouts` (one per layer, in the checkpoint's order) over `ranks` ranks.
  ///
  /// - Throws: ``MonarchError/moreRanksThanLayers(ranks:layers:)`` when a rank would get no layer.
  /// - Complexity: O(L log L + L·P) for L layers.
  public init(layouts: [MonarchLayout], ranks: Int) throws(MonarchError) {
    guard ranks >= 1, ranks <= layouts.count else { throw .moreRanksThanLayers(ranks: ranks, layers: layouts.count) }
    let costs = layouts.map(Self.projectionCost(of:))
    let order = costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    var owners = [Int](repeating: 0, count: layouts.count)
    var loads = [Double](repeating: 0, count: ranks)
    for layer in order {
      let rank = loads.indices.min { loads[$0] != loads[$1] ? loads[$0] < loads[$1] : $0 < $1 }!
      owners[layer] = rank
      loads[rank] += costs[layer]
    }
    self.owners = owners
    self.loads = loads
  }

  /// The layers of `rank`, in the checkpoint's order.
  public func layers(of rank: Int) -> [Int] { owners.indices.filter { owners[$0] == rank } }

  /// The relative cost of projecting a dense matrix onto `layout`: `in · out · min(in/b_in, out/b_out)`, the
  /// order of the per-slice truncated SVDs (``project(_:onto:name:)``), in floating point so that 7B-parameter
  /// checkpoints do not overflow.
  public static func projectionCost(of layout: MonarchLayout) -> Double {
    Double(layout.inFeatures) * Double(layout.outFeatures) * Double(min(layout.inBlockSize, layout.outBlockSize))
  }
}
