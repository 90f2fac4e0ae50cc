// Sub-matrix views without copies: row ranges (a batch slice), column ranges (a head of a packed projection)
// and element access, on the strided views that ``gemm(_:_:_:transposeA:transposeB:alpha:beta:)`` takes.

extension MatrixView {
  /// The element at `row`, `column`.
  @inlinable
  public subscript(row: Int, column: Int) -> Scalar {
    precondition(
      row >= 0 && row < rows && column >= 0 && column < columns,
      "MatrixView: index (\(row), \(column)) out of range for \(rows)×\(columns)")
    return base[row * leadingDimension + column]
  }

  /// The first element of row `row`; the row's `columns` elements follow contiguously.
  @inlinable
  public func row(_ row: Int) -> UnsafePointer<Scalar> {
    precondition(row >= 0 && row < max(rows, 1), "MatrixView: row \(row) out of range for \(rows) rows")
    return base + row * leadingDimension
  }

  /// The rows in `range`, sharing this view's memory.
  ///
  /// - Complexity: O(1).
  @inlinable
  public func rows(_ range: Range<Int>) -> MatrixView {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= rows, "MatrixView: rows \(range) out of range for \(rows) rows")
    return MatrixView(
      base + range.lowerBound * leadingDimension, rows: range.count, columns: columns,
      leadingDimension: leadingDimension)
  }

  /// The columns in `range`, sharing this view's memory (the leading dimension stays).
  ///
  /// Splitting a packed `tokens × (heads·headSize)` projection into heads is `columns(h·d ..< (h+1)·d)`.
  ///
  /// - Complexity: O(1).
  @inlinable
  public func columns(_ range: Range<Int>) -> MatrixView {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= columns,
      "MatrixView: columns \(range) out of range for \(columns) columns")
    return MatrixView(base + range.lowerBound, rows: rows, columns: range.count, leadingDimension: leadingDimension)
  }

  /// Whether the rows follow each other without gaps, so the view is one contiguous run of `rows·columns`
  /// elements.
  @inlinable
  public var isContiguous: Bool { leadingDimension == columns || rows <= 1 }
}

extension MutableMatrixView {
  /// The element at `row`, `column`.
  @inlinable
  public subscript(row: Int, column: Int) -> Scalar {
    get { readOnly[row, column] }
    nonmutating set {
      precondition(
        row >= 0 && row < rows && column >= 0 && column < columns,
        "MutableMatrixView: index (\(row), \(column)) out of range for \(rows)×\(columns)")
      base[row * leadingDimension + column] = newValue
    }
  }

  /// The first element of row `row`; the row's `columns` elements follow contiguously.
  @inlinable
  public func row(_ row: Int) -> UnsafeMutablePointer<Scalar> {
    precondition(row >= 0 && row < max(rows, 1), "MutableMatrixView: row \(row) out of range for \(rows) rows")
    return base + row * leadingDimension
  }

  /// The rows in `range`, sharing this view's memory.
  ///
  /// - Complexity: O(1).
  @inlinable
  public func rows(_ range: Range<Int>) -> MutableMatrixView {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= rows,
      "MutableMatrixView: rows \(range) out of range for \(rows) rows")
    return MutableMatrixView(
      base + range.lowerBound * leadingDimension, rows: range.count, columns: columns,
      leadingDimension: leadingDimension)
  }

  /// The columns in `range`, sharing this view's memory (the leading dimension stays).
  ///
  /// - Complexity: O(1).
  @inlinable
  public func columns(_ range: Range<Int>) -> MutableMatrixView {
    precondition(
      range.lowerBound >= 0 && range.upperBound <= columns,
      "MutableMatrixView: columns \(range) out of range for \(columns) columns")
    return MutableMatrixView(
      base + range.lowerBound, rows: rows, columns: range.count, leadingDimension: leadingDimension)
  }

  /// Whether the rows follow each other without gaps.
  @inlinable
  public var isContiguous: Bool { readOnly.isContiguous }

  /// Sets every element of the view to `value`.
  ///
  /// - Complexity: O(rows·columns).
  @inlinable
  public func fill(with value: Scalar) {
    for i in 0..<rows { (base + i * leadingDimension).update(repeating: value, count: columns) }
  }

  /// Copies the elements of a view of the same shape into this one.
  ///
  /// - Complexity: O(rows·columns).
  @inlinable
  public func copy(from source: MatrixView<Scalar>) {
    precondition(
      source.rows == rows && source.columns == columns,
      "MutableMatrixView.copy: source is \(source.rows)×\(source.columns), target is \(rows)×\(columns)")
    for i in 0..<rows { (base + i * leadingDimension).update(from: source.row(i), count: columns) }
  }
}

extension Tensor {
  /// Calls `body` with a read-only view of this matrix (a rank-1 tensor is one row).
  @inlinable
  public func withMatrixView<Result>(_ body: (MatrixView<Scalar>) throws -> Result) rethrows -> Result {
    precondition(rank == 1 || rank == 2, "Tensor.withMatrixView: shape \(shape) is not a matrix or a vector")
    let (m, n) = rank == 2 ? (shape[0], shape[1]) : (1, shape[0])
    return try storage.withUnsafeBufferPointer { buffer in
      // An empty array may have no base address; a dangling but never-read pointer serves.
      let base = buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Scalar>.alignment)!
      return try body(MatrixView(base, rows: m, columns: n, leadingDimension: max(n, 1)))
    }
  }

  /// Calls `body` with a writable view of this matrix (a rank-1 tensor is one row).
  @inlinable
  public mutating func withMutableMatrixView<Result>(
    _ body: (MutableMatrixView<Scalar>) throws -> Result
  ) rethrows -> Result {
    precondition(rank == 1 || rank == 2, "Tensor.withMutableMatrixView: shape \(shape) is not a matrix or a vector")
    let (m, n) = rank == 2 ? (shape[0], shape[1]) : (1, shape[0])
    return try storage.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Scalar>.alignment)!
      return try body(MutableMatrixView(base, rows: m, columns: n, leadingDimension: max(n, 1)))
    }
  }
}
