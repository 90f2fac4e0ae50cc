import ProbabilityMaps
import TensorCore

extension CausalSelfAttention {
  /// One decoding step against a key/value cache: the attention output of the newest position, whose query
  /// sees the `count` cached keys and values (itself included, as the last row).
  ///
  /// This is row `count − 1` of ``forward(qkv:batch:sequenceLength:into:workspace:dropoutStep:)`` on the
  /// sequence the cache holds, computed in O(count·width) instead of again for every row.
  ///
  /// - Parameters:
  ///   - query: The newest position's queries, `width` values (heads side by side).
  ///   - keys: `count × width`, row `j` the keys of position `j` (rotated, if the model rotates them).
  ///   - values: `count × width`.
  ///   - output: `width` values, overwritten.
  ///   - workspace: Scratch for one row of scores and weights.
  /// - Throws: ``TrainingError/normalizerFailed(layer:message:)`` if the normalizer rejects the scores.
  /// - Complexity: O(count·width) plus the normalizer's cost on `heads` rows of `count`.
  public func attendIncrementally(
    query: UnsafePointer<Float>, keys: MatrixView<Float>, values: MatrixView<Float>,
    into output: UnsafeMutablePointer<Float>, workspace: Workspace
  ) throws(TrainingError) {
    let count = keys.rows
    requireShape(keys, rows: count, columns: width, "keys", name)
    requireShape(values, rows: count, columns: width, "values", name)
    precondition(count > 0, "\(name): attending over an empty cache")
    let d = headSize
    let scores = workspace.allocate(Float.self, count: count)
    let weights = workspace.allocate(Float.self, count: count)
    for h in 0..<heads {
      let q = query + h * d
      for j in 0..<count {
        let k = keys.row(j) + h * d
        var dot: Float = 0
        for i in 0..<d { dot += q[i] * k[i] }
        scores[j] = dot * scale
      }
      if usesFusedSoftmax {
        var maximum = -Float.infinity
        for j in 0..<count where scores[j] > maximum { maximum = scores[j] }
        var sum: Float = 0
        for j in 0..<count {
          weights[j] = Float.exponential(scores[j] - maximum)
          sum += weights[j]
        }
        let inverse = 1 / sum
        for j in 0..<count { weights[j] *= inverse }
      } else {
        do {
          try normalizer.forward(
            rows: UnsafeBufferPointer(start: scores, count: count), length: count,
            into: UnsafeMutableBufferPointer(start: weights, count: count))
        } catch {
          throw .normalizerFailed(layer: name, message: "\(error)")
        }
      }
      let o = output + h * d
      o.update(repeating: 0, count: d)
      for j in 0..<count where weights[j] != 0 {
        axpy(count: d, alpha: weights[j], values.row(j) + h * d, o)
      }
    }
  }
}
