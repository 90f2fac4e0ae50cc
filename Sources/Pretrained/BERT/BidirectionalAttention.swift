import CKernels
import NN
import ProbabilityMaps
import TensorCore

/// Multi-head scaled dot-product attention in which every token sees every real token of its sequence:
/// per head, `O = P(Q Kᵀ/√d + M) V` with `M` the key padding mask (`-inf` at the padding positions of each
/// sequence), BERT's self-attention.
///
/// Queries, keys and values are separate `tokens × width` matrices (BERT's `query`, `key` and `value`
/// projections), `batch` sequences of `sequenceLength` rows each, head `h` being columns `h·d ..< (h+1)·d`.
/// Softmax (the default) runs fused over the real keys only; any other `ProbabilityMap` runs on the masked
/// scores, where the `-inf` entries get probability 0 exactly.
public struct BidirectionalAttention: Sendable {
  /// The model width, `heads · headSize`.
  public let width: Int
  /// The number of heads.
  public let heads: Int
  /// The width of one head, `d`.
  public let headSize: Int
  /// The map from scores to attention weights.
  public let normalizer: any ProbabilityMap
  private let usesFusedSoftmax: Bool

  /// Creates the layer; `heads` must divide `width` (checked by the configuration that supplies them).
  public init(width: Int, heads: Int, normalizer: any ProbabilityMap = Softmax.standard) {
    precondition(width > 0 && heads > 0 && width % heads == 0, "BidirectionalAttention: \(heads) heads for width \(width)")
    self.width = width
    self.heads = heads
    headSize = width / heads
    self.normalizer = normalizer
    usesFusedSoftmax = (normalizer as? Softmax)?.temperature == 1
  }

  /// Attends within each sequence, over its first `lengths[b]` keys.
  ///
  /// - Parameters:
  ///   - queries: `batch·sequenceLength × width`.
  ///   - keys: Like `queries`.
  ///   - values: Like `queries`.
  ///   - lengths: The real tokens of each sequence (at least 1, at most `sequenceLength`).
  ///   - sequenceLength: The padded length.
  ///   - output: `batch·sequenceLength × width`, overwritten.
  ///   - workspace: Scratch for the scores and weights.
  /// - Throws: `TrainingError/normalizerFailed(layer:message:)` when the normalizer rejects the scores.
  /// - Complexity: O(batch·heads·T²·d), two batched GEMMs, plus the normalizer's cost.
  public func forward(
    queries: MatrixView<Float>, keys: MatrixView<Float>, values: MatrixView<Float>, lengths: [Int],
    sequenceLength: Int, into output: MutableMatrixView<Float>, workspace: Workspace
  ) throws(TrainingError) {
    let (batch, t, d, heads) = (lengths.count, sequenceLength, headSize, heads)
    for matrix in [queries, keys, values, output.readOnly] {
      precondition(
        matrix.rows == batch * t && matrix.columns == width,
        "BidirectionalAttention: a \(matrix.rows)×\(matrix.columns) operand for \(batch)×\(t) tokens of width \(width)")
    }
    precondition(lengths.allSatisfy { (1...t).contains($0) }, "BidirectionalAttention: lengths \(lengths) for length \(t)")
    let count = batch * heads
    let scores = workspace.allocate(Float.self, count: count * t * t)
    let scoreMatrices = MutableMatrixView(scores, rows: count * t, columns: t)
    func head(_ matrix: MatrixView<Float>, _ i: Int) -> MatrixView<Float> {
      matrix.rows((i / heads) * t..<(i / heads + 1) * t).columns((i % heads) * d..<(i % heads + 1) * d)
    }
    batchedGemm(count: count, transposeB: true, alpha: 1 / Float(d).squareRoot()) { i in
      GEMMOperands(head(queries, i), head(keys, i), scoreMatrices.rows(i * t..<(i + 1) * t))
    }
    if usesFusedSoftmax {
      let level = sml_cpu_vector_level()
      parallelFor(count * t, minimumChunk: 64) { rows in
        for row in rows { Self.softmaxRow(scores + row * t, visible: lengths[row / (heads * t)], t, level: level) }
      }
    } else {
      try normalize(scores, rows: count * t, lengths: lengths, t)
    }
    let weights = MatrixView(UnsafePointer(scores), rows: count * t, columns: t)
    batchedGemm(count: count) { i in
      let target = output.rows((i / heads) * t..<(i / heads + 1) * t).columns((i % heads) * d..<(i % heads + 1) * d)
      return GEMMOperands(weights.rows(i * t..<(i + 1) * t), head(values, i), target)
    }
  }

  /// Softmax in place over the first `visible` entries of a row (the vectorized row kernel of the probability
  /// maps); the rest become 0.
  @inline(__always)
  private static func softmaxRow(_ row: UnsafeMutablePointer<Float>, visible: Int, _ t: Int, level: Int32) {
    sml_softmax_row_f(row, row, visible, 1, level)
    (row + visible).update(repeating: 0, count: t - visible)
  }

  /// Masks padding keys with `-inf` and runs the normalizer on all rows, in place.
  private func normalize(
    _ scores: UnsafeMutablePointer<Float>, rows: Int, lengths: [Int], _ t: Int
  ) throws(TrainingError) {
    for row in 0..<rows {
      for j in lengths[row / (heads * t)]..<t { scores[row * t + j] = -.infinity }
    }
    let input = Tensor(shape: [rows, t], scalars: Array(UnsafeBufferPointer(start: scores, count: rows * t)))
    do {
      let weights = try normalizer.forward(input)
      weights.scalars.withUnsafeBufferPointer { scores.update(from: $0.baseAddress!, count: rows * t) }
    } catch {
      throw .normalizerFailed(layer: "attention", message: "\(error)")
    }
  }
}
