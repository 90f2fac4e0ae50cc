import TensorCore

/// Runs a per-row kernel over the last axis of a tensor, rows split across the cores.
enum RowDriver {
  /// The number of rows and the row length of `tensor` viewed as `rows × n` over its last axis.
  ///
  /// - Throws: ``ProbabilityMapError`` for a scalar (rank 0) or an empty last axis.
  static func rowShape<S>(_ tensor: Tensor<S>, name: String) throws -> (rows: Int, n: Int) {
    guard let n = tensor.shape.last else {
      throw ProbabilityMapError.scalarInput(tensor: name)
    }
    guard n > 0 else {
      throw ProbabilityMapError.emptyLastAxis(tensor: name, shape: tensor.shape)
    }
    return (tensor.count / n, n)
  }

  /// Checks that `other` has the shape of `reference`.
  ///
  /// - Throws: ``ProbabilityMapError`` naming both tensors and shapes.
  static func requireSameShape<S>(_ other: Tensor<S>, _ otherName: String, as reference: Tensor<S>, _ name: String)
    throws
  {
    guard other.shape == reference.shape else {
      throw ProbabilityMapError.shapeMismatch(
        tensor: otherName, shape: other.shape, reference: name, referenceShape: reference.shape)
    }
  }

  /// The number of rows of `count` values laid out as rows of `length`.
  ///
  /// - Throws: ``ProbabilityMapError`` for a row length below 1 or a count that is not a multiple of it.
  static func rowCount(_ count: Int, length: Int, name: String) throws -> Int {
    guard length > 0 else { throw ProbabilityMapError.emptyLastAxis(tensor: name, shape: [count, length]) }
    guard count % length == 0 else {
      throw ProbabilityMapError.shapeMismatch(
        tensor: name, shape: [count], reference: "rows of length \(length)", referenceShape: [count / length, length])
    }
    return count / length
  }

  /// Checks that a buffer the caller passes along with `reference` holds as many values.
  ///
  /// - Throws: ``ProbabilityMapError`` naming both buffers and their counts.
  static func requireSameCount(_ count: Int, _ name: String, as referenceCount: Int, _ referenceName: String) throws {
    guard count == referenceCount else {
      throw ProbabilityMapError.shapeMismatch(
        tensor: name, shape: [count], reference: referenceName, referenceShape: [referenceCount])
    }
  }

  /// Runs `body(row, inputRow, outputRow, workspace)` on every row of `input` (rows of `length` values),
  /// writing `output` (as many values); `body` must write every element of its output row.
  ///
  /// Each parallel chunk owns one workspace of `workspaceCount` doubles, reused across its rows and taken from
  /// the stack where it fits, so a call allocates nothing per row.
  /// - Throws: ``ProbabilityMapError`` when the counts do not fit rows of `length`.
  /// - Complexity: O(rows) calls of `body`, spread over the cores.
  static func map<S: ProbabilityScalar>(
    _ input: UnsafeBufferPointer<S>, length n: Int, into output: UnsafeMutableBufferPointer<S>,
    workspaceCount: Int = 0,
    _ body: (Int, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>, UnsafeMutableBufferPointer<Double>) -> Void
  ) throws {
    let rows = try rowCount(input.count, length: n, name: "scores")
    try requireSameCount(output.count, "output", as: input.count, "scores")
    guard rows > 0, let sourceBase = input.baseAddress, let targetBase = output.baseAddress else { return }
    parallelFor(rows, minimumChunk: max(1, 8192 / n)) { range in
      withUnsafeTemporaryAllocation(of: Double.self, capacity: max(workspaceCount, 1)) { workspace in
        for row in range {
          body(
            row, UnsafeBufferPointer(start: sourceBase + row * n, count: n),
            UnsafeMutableBufferPointer(start: targetBase + row * n, count: n), workspace)
        }
      }
    }
  }

  /// Like ``map(_:length:into:workspaceCount:_:)`` with a second input of the same count (outputs and
  /// gradients).
  ///
  /// - Throws: ``ProbabilityMapError`` when the counts differ or do not fit rows of `length`.
  /// - Complexity: O(rows) calls of `body`, spread over the cores.
  static func map<S: ProbabilityScalar>(
    _ first: UnsafeBufferPointer<S>, _ second: UnsafeBufferPointer<S>, length n: Int,
    into output: UnsafeMutableBufferPointer<S>,
    _ body: (Int, UnsafeBufferPointer<S>, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>) -> Void
  ) throws {
    try requireSameCount(second.count, "gradient", as: first.count, "output")
    guard let otherBase = second.baseAddress else {
      return try map(first, length: n, into: output) { _, _, _, _ in }
    }
    try map(first, length: n, into: output) { row, x, out, _ in
      body(row, x, UnsafeBufferPointer(start: otherBase + row * n, count: n), out)
    }
  }

  /// A tensor of `input`'s shape filled by ``map(_:length:into:workspaceCount:_:)``.
  ///
  /// - Throws: ``ProbabilityMapError`` for a scalar or an empty last axis.
  /// - Complexity: O(rows) calls of `body`, spread over the cores.
  static func map<S: ProbabilityScalar>(
    _ input: Tensor<S>,
    _ body: (Int, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>, UnsafeMutableBufferPointer<Double>) -> Void
  ) throws -> Tensor<S> {
    let (_, n) = try rowShape(input, name: "scores")
    return try filled(like: input) { output in
      try input.scalars.withUnsafeBufferPointer { try map($0, length: n, into: output, body) }
    }
  }

  /// A tensor of `reference`'s shape whose values `fill` writes, every one of them, into uninitialized memory.
  static func filled<S>(like reference: Tensor<S>, _ fill: (UnsafeMutableBufferPointer<S>) throws -> Void) rethrows
    -> Tensor<S>
  {
    let values = try [S](unsafeUninitializedCapacity: reference.count) { target, initialized in
      try fill(target)
      initialized = reference.count
    }
    return Tensor(shape: reference.shape, scalars: values)
  }

  /// Fills a row with NaN (invalid input) and reports whether it did, or zeros when the row is all `-inf`.
  ///
  /// - Returns: `true` when the row was settled here and the caller has nothing left to do.
  @inline(__always)
  static func settleDegenerateRow<S: ProbabilityScalar>(
    maximum: S, isInvalid: Bool, _ out: UnsafeMutableBufferPointer<S>
  ) -> Bool {
    if isInvalid {
      out.update(repeating: .nan)
      return true
    }
    if maximum == -.infinity {
      out.update(repeating: 0)
      return true
    }
    return false
  }
}
