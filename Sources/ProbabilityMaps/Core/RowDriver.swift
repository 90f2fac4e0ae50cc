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

  /// Produces a tensor of `input`'s shape by running `body(row, inputRow, outputRow, workspace)` on every row.
  ///
  /// `body` must write every element of its output row. Each parallel chunk owns one workspace of
  /// `workspaceCount` doubles, reused across its rows.
  /// - Complexity: O(rows) calls of `body`, spread over the cores.
  static func map<S: ProbabilityScalar>(
    _ input: Tensor<S>, workspaceCount: Int = 0,
    _ body: (Int, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>, UnsafeMutableBufferPointer<Double>) -> Void
  ) -> Tensor<S> {
    let n = input.shape.last ?? 1
    let rows = n == 0 ? 0 : input.count / n
    // `body` writes every element of its row, so the output is never zero-filled first; its pages are
    // touched for the first time by the thread that fills them.
    let output = [S](unsafeUninitializedCapacity: input.count) { target, initialized in
      input.scalars.withUnsafeBufferPointer { source in
        let (sourceBase, targetBase) = (source.baseAddress, target.baseAddress)
        parallelFor(rows, minimumChunk: max(1, 8192 / max(n, 1))) { range in
          let workspace = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(workspaceCount, 1))
          defer { workspace.deallocate() }
          for row in range {
            body(
              row, UnsafeBufferPointer(start: sourceBase! + row * n, count: n),
              UnsafeMutableBufferPointer(start: targetBase! + row * n, count: n), workspace)
          }
        }
      }
      initialized = rows * n
    }
    return Tensor(shape: input.shape, scalars: output)
  }

  /// Like ``map(_:workspaceCount:_:)`` with a second input tensor of the same shape (outputs and gradients).
  ///
  /// - Complexity: O(rows) calls of `body`, spread over the cores.
  static func map<S: ProbabilityScalar>(
    _ first: Tensor<S>, _ second: Tensor<S>,
    _ body: (Int, UnsafeBufferPointer<S>, UnsafeBufferPointer<S>, UnsafeMutableBufferPointer<S>) -> Void
  ) -> Tensor<S> {
    let n = first.shape.last ?? 1
    return second.scalars.withUnsafeBufferPointer { other in
      let otherBase = other.baseAddress
      return map(first) { row, x, out, _ in
        body(row, x, UnsafeBufferPointer(start: otherBase! + row * n, count: n), out)
      }
    }
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
