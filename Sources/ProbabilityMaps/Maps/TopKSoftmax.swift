import TensorCore

/// Sparse (top-k) softmax: softmax over the `k` largest scores of each row, zero elsewhere (Su, 2024).
///
/// Ties at the `k`-th largest value are broken by position (earlier entries first), so exactly
/// `min(k, number of finite scores)` entries are positive. Scores outside the top `k` get no gradient; the
/// backward is the softmax backward restricted to the support.
public struct TopKSoftmax: ProbabilityMap {
  /// How many of the largest scores share the probability mass.
  public let k: Int
  /// The temperature `T > 0` that divides the scores.
  public let temperature: Double

  /// Creates a top-k softmax.
  ///
  /// - Parameters:
  ///   - k: The support size, at least 1 (a `k` at or above the row length gives plain softmax).
  ///   - temperature: `T`, finite and positive (default 1).
  /// - Throws: ``ProbabilityMapError/invalidParameter(map:parameter:value:requirement:)`` for `k < 1` or a bad temperature.
  public init(k: Int, temperature: Double = 1) throws {
    guard k >= 1 else { throw ProbabilityMapError.invalidParameter(map: "top-k softmax", parameter: "k", value: Double(k), requirement: "at least 1") }
    self.k = k
    self.temperature = try Softmax(temperature: temperature).temperature
  }

  /// The top-k softmax of every row.
  ///
  /// - Complexity: O(n) expected per row (quickselect for the `k`-th largest score).
  @specialized(where S == Float)
  @specialized(where S == Double)
  public func forward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>
  ) throws {
    let inverseTemperature = S(1 / temperature)
    try RowDriver.map(scores, length: n, into: output, workspaceCount: n) { _, x, out, workspace in
      let (maximum, isInvalid) = RowKernels.maximum(x)
      if RowDriver.settleDegenerateRow(maximum: maximum, isInvalid: isInvalid, out) { return }
      let sum = RowKernels.exponentialSum(x, shift: maximum, scale: inverseTemperature, into: out)
      guard k < x.count else {
        RowKernels.scale(out, by: 1 / sum)
        return
      }
      for i in 0..<x.count { workspace[i] = Double(x[i]) }
      let kth = S(TopKSoftmax.select(workspace, count: x.count, rank: k - 1))
      var strictlyAbove = 0
      for value in x where value > kth { strictlyAbove += 1 }
      var tiesLeft = k - strictlyAbove
      var kept: S = 0
      for i in 0..<x.count {
        if x[i] > kth || (x[i] == kth && tiesLeft > 0) {
          if x[i] == kth { tiesLeft -= 1 }
          kept += out[i]
        } else {
          out[i] = 0
        }
      }
      RowKernels.scale(out, by: 1 / kept)
    }
  }

  /// The softmax backward `(p ⊙ (v − ⟨p, v⟩))/T`, which vanishes off the support because `p` does.
  ///
  /// - Complexity: O(n) per row.
  public func backward<S: ProbabilityScalar>(
    rows scores: UnsafeBufferPointer<S>, output: UnsafeBufferPointer<S>, outputGradient gradient: UnsafeBufferPointer<S>,
    length n: Int, into result: UnsafeMutableBufferPointer<S>
  ) throws {
    try Softmax(temperature: temperature).backward(
      rows: scores, output: output, outputGradient: gradient, length: n, into: result)
  }

  /// The element of descending rank `rank` (0 is the largest) of the first `count` values, by quickselect
  /// with a median-of-three pivot; reorders the values.
  ///
  /// - Complexity: O(count) expected.
  static func select(_ values: UnsafeMutableBufferPointer<Double>, count: Int, rank: Int) -> Double {
    var (low, high) = (0, count - 1)
    while low < high {
      let middle = (low + high) / 2
      let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
      var (i, j) = (low, high)
      while i <= j {
        while values[i] > pivot { i += 1 }
        while values[j] < pivot { j -= 1 }
        if i <= j {
          values.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if rank <= j {
        high = j
      } else if rank >= i {
        low = i
      } else {
        return values[rank]
      }
    }
    return values[rank]
  }
}
