/// The operands of one product in a batch for ``batchedGemm(count:transposeA:transposeB:alpha:beta:operands:)``.
public struct GEMMOperands<Scalar: TensorScalar> {
  /// The left matrix as stored (before the transpose).
  public let a: MatrixView<Scalar>
  /// The right matrix as stored (before the transpose).
  public let b: MatrixView<Scalar>
  /// The result.
  public let c: MutableMatrixView<Scalar>

  /// Bundles the three views of one product.
  public init(_ a: MatrixView<Scalar>, _ b: MatrixView<Scalar>, _ c: MutableMatrixView<Scalar>) {
    self.a = a
    self.b = b
    self.c = c
  }
}

/// Computes `C[i] = alpha · op(A[i]) · op(B[i]) + beta · C[i]` for `i` in `0..<count`, split across cores.
///
/// `operands(i)` names the three strided views of product `i`, so one call covers any strided batch without
/// copies: the per-head products of attention read head `h` of a packed `tokens × 3·width` projection as
/// `view.columns(h·d ..< (h+1)·d)`. Each product is one ``gemm(_:_:_:transposeA:transposeB:alpha:beta:)``; the
/// batch runs under ``parallelFor(_:minimumChunk:_:)``, which suits a single-threaded BLAS (set by the caller
/// through ``BLASThreads``; this function changes no process-wide setting).
///
/// - Parameters:
///   - count: The number of products.
///   - transposeA: Whether every product uses `A[i]ᵀ`.
///   - transposeB: Whether every product uses `B[i]ᵀ`.
///   - alpha: The scale of every product.
///   - beta: The scale of the previous contents of every `C[i]` (0 ignores them).
///   - operands: The views of product `i`; called concurrently, so it must only compute views. The results
///     of different products must not overlap.
/// - Complexity: O(count·m·n·k), spread over ``processorCount`` threads.
public func batchedGemm<Scalar: TensorScalar>(
  count: Int, transposeA: Bool = false, transposeB: Bool = false, alpha: Scalar = 1, beta: Scalar = 0,
  operands: (Int) -> GEMMOperands<Scalar>
) {
  parallelFor(count) { range in
    for i in range {
      let product = operands(i)
      gemm(product.a, product.b, product.c, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
    }
  }
}
