import TensorCore

extension Batch {
  /// The number of examples: sequences of a token batch, feature rows of a feature batch.
  public var exampleCount: Int {
    switch inputs {
    case .tokens(_, let sequences): return sequences
    case .features(let features): return features.shape.first ?? 0
    }
  }

  /// The examples `r·B/P ..< (r+1)·B/P` of this batch's `B` examples: what rank `r` of `P` trains on in a
  /// data-parallel step, so that the ranks' shards, in rank order, are the batch.
  ///
  /// - Parameters:
  ///   - rank: `r`, in `0..<ranks`.
  ///   - ranks: `P`, at most the number of examples.
  /// - Complexity: O(the shard's elements): a copy.
  public func shard(_ rank: Int, of ranks: Int) -> Batch {
    precondition(ranks > 0 && (0..<ranks).contains(rank), "Batch.shard: rank \(rank) is outside 0..<\(ranks)")
    if ranks == 1 { return self }
    let examples = exampleCount
    let range = (rank * examples / ranks)..<((rank + 1) * examples / ranks)
    let targetsPerExample = examples == 0 ? 0 : targets.count / examples
    let targetRange = (range.lowerBound * targetsPerExample)..<(range.upperBound * targetsPerExample)
    let shardTargets = Array(targets[targetRange])
    switch inputs {
    case .tokens(let tokens, _):
      let length = tokens.count / examples
      return Batch(
        inputs: .tokens(Array(tokens[(range.lowerBound * length)..<(range.upperBound * length)]), sequences: range.count),
        targets: shardTargets)
    case .features(let features):
      let columns = features.count / examples
      let scalars = features.scalars
      return Batch(
        inputs: .features(
          Tensor(
            shape: [range.count] + features.shape.dropFirst(),
            scalars: Array(scalars[(range.lowerBound * columns)..<(range.upperBound * columns)]))),
        targets: shardTargets)
    }
  }

  /// The number of targets that count in the loss (not `ignoreIndex`).
  public func countedTargets(ignoreIndex: Int32 = CrossEntropy().ignoreIndex) -> Int {
    targets.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
  }
}
