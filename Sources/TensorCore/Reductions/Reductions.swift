/// How ``reduceEachRow(_:_:into:)`` and ``reduceEachColumn(_:_:into:)`` combine the elements they visit.
public enum Reduction: Sendable, CaseIterable {
  /// The sum.
  case sum
  /// The arithmetic mean (of an empty run: NaN, as 0/0).
  case mean
  /// The largest element (of an empty run: `-infinity`); NaN elements are skipped.
  case maximum
}

/// Reduces every row of `x` to one value: `result[i] = reduction(x[i, 0..<columns])`.
///
/// Sums accumulate in the element type, left to right.
///
/// - Parameters:
///   - x: The matrix.
///   - reduction: How to combine a row.
///   - result: `x.rows` values.
/// - Complexity: O(rows·columns), one contiguous pass per row.
@inlinable
public func reduceEachRow<Scalar: TensorScalar>(
  _ x: MatrixView<Scalar>, _ reduction: Reduction, into result: UnsafeMutablePointer<Scalar>
) {
  for i in 0..<x.rows {
    let row = x.base + i * x.leadingDimension
    switch reduction {
    case .sum, .mean:
      var sum: Scalar = 0
      for j in 0..<x.columns { sum += row[j] }
      result[i] = reduction == .sum ? sum : sum / Scalar(x.columns)
    case .maximum:
      var best = -Scalar.infinity
      for j in 0..<x.columns where row[j] > best { best = row[j] }
      result[i] = best
    }
  }
}

/// Reduces every column of `x` to one value: `result[j] = reduction(x[0..<rows, j])`.
///
/// The pass runs along rows (contiguous memory), keeping one accumulator per column in `result`.
///
/// - Parameters:
///   - x: The matrix.
///   - reduction: How to combine a column.
///   - result: `x.columns` values.
/// - Complexity: O(rows·columns).
@inlinable
public func reduceEachColumn<Scalar: TensorScalar>(
  _ x: MatrixView<Scalar>, _ reduction: Reduction, into result: UnsafeMutablePointer<Scalar>
) {
  let n = x.columns
  result.update(repeating: reduction == .maximum ? -Scalar.infinity : 0, count: n)
  for i in 0..<x.rows {
    let row = x.base + i * x.leadingDimension
    switch reduction {
    case .sum, .mean:
      for j in 0..<n { result[j] += row[j] }
    case .maximum:
      for j in 0..<n where row[j] > result[j] { result[j] = row[j] }
    }
  }
  if reduction == .mean {
    let scale = 1 / Scalar(x.rows)
    for j in 0..<n { result[j] *= scale }
  }
}

extension Tensor {
  /// One value per row of a matrix: a tensor of shape `[rows]`.
  ///
  /// - Complexity: O(rows·columns).
  public func reducingEachRow(_ reduction: Reduction) -> Tensor {
    var result = Tensor(zeros: [rows])
    withMatrixView { x in
      result.storage.withUnsafeMutableBufferPointer { reduceEachRow(x, reduction, into: $0.baseAddress!) }
    }
    return result
  }

  /// One value per column of a matrix: a tensor of shape `[columns]`.
  ///
  /// - Complexity: O(rows·columns).
  public func reducingEachColumn(_ reduction: Reduction) -> Tensor {
    var result = Tensor(zeros: [columns])
    withMatrixView { x in
      result.storage.withUnsafeMutableBufferPointer { reduceEachColumn(x, reduction, into: $0.baseAddress!) }
    }
    return result
  }
}
