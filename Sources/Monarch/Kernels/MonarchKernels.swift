import TensorCore

/// The GEMM steps shared by the forward, transposed and backward Monarch kernels, on raw row-major memory.
///
/// The kernels work in the transposed domain: a tile of `T` batch rows is held as columns, so the middle
/// activation `hᵀ` is a `(k·q) × T` matrix and the output `yᵀ` an `(l·s) × T` matrix. The Monarch
/// permutations then only pick rows: block `ll` of the second factor reads rows `rr·l + ll` of `hᵀ` and writes
/// rows `ss·l + ll` of `yᵀ`, both plain strided views (leading dimension `l·T`). No element is ever gathered;
/// the only copy is one transpose of the tile at the side that needs it.
struct MonarchKernels<Scalar: TensorScalar> {
  let layout: MonarchLayout
  let w1: UnsafePointer<Scalar>
  let w2: UnsafePointer<Scalar>

  private var k: Int { layout.inBlocks }
  private var l: Int { layout.outBlocks }
  private var p: Int { layout.inBlockSize }
  private var q: Int { layout.firstBlockRows }
  private var s: Int { layout.outBlockSize }
  private var r: Int { layout.secondBlockColumns }

  /// The real (unpadded) width of input block `kk`.
  private func inWidth(_ kk: Int) -> Int { min(p, layout.inFeatures - kk * p) }

  /// `hᵀ[kk·q ..< (kk+1)·q, :] = w1[kk] · x_kkᵀ` for the blocks in `blocks`, `x` being `T` rows of width `in`.
  /// - Complexity: O(T·q·p) per block.
  func firstFactor(
    blocks: Range<Int>, input x: UnsafePointer<Scalar>, rows t: Int, middle hT: UnsafeMutablePointer<Scalar>
  ) {
    for kk in blocks {
      gemm(
        MatrixView(w1 + kk * q * p, rows: q, columns: inWidth(kk), leadingDimension: p),
        MatrixView(x + kk * p, rows: t, columns: inWidth(kk), leadingDimension: layout.inFeatures),
        MutableMatrixView(hT + kk * q * t, rows: q, columns: t), transposeB: true)
    }
  }

  /// `yᵀ[ss·l + ll, :] = Σ_rr w2[ll, ss, rr] · hᵀ[rr·l + ll, :]` for the blocks in `blocks`.
  /// - Complexity: O(T·s·r) per block.
  func secondFactor(
    blocks: Range<Int>, middle hT: UnsafePointer<Scalar>, rows t: Int, output yT: UnsafeMutablePointer<Scalar>
  ) {
    for ll in blocks {
      gemm(
        MatrixView(w2 + ll * s * r, rows: s, columns: r),
        MatrixView(hT + ll * t, rows: r, columns: t, leadingDimension: l * t),
        MutableMatrixView(yT + ll * t, rows: s, columns: t, leadingDimension: l * t))
    }
  }

  /// `hᵀ[rr·l + ll, :] = Σ_ss w2[ll, ss, rr] · uᵀ[ss·l + ll, :]`: the second factor transposed.
  /// - Complexity: O(T·s·r) per block.
  func secondFactorTransposed(
    blocks: Range<Int>, output uT: UnsafePointer<Scalar>, rows t: Int, middle hT: UnsafeMutablePointer<Scalar>
  ) {
    for ll in blocks {
      gemm(
        MatrixView(w2 + ll * s * r, rows: s, columns: r),
        MatrixView(uT + ll * t, rows: s, columns: t, leadingDimension: l * t),
        MutableMatrixView(hT + ll * t, rows: r, columns: t, leadingDimension: l * t), transposeA: true)
    }
  }

  /// `v[:, kk·p ..< kk·p + p] = hᵀ[kk·q ..< (kk+1)·q, :]ᵀ · w1[kk]`: the first factor transposed, written as
  /// `T` rows of width `in`.
  /// - Complexity: O(T·q·p) per block.
  func firstFactorTransposed(
    blocks: Range<Int>, middle hT: UnsafePointer<Scalar>, rows t: Int, input v: UnsafeMutablePointer<Scalar>
  ) {
    for kk in blocks {
      gemm(
        MatrixView(hT + kk * q * t, rows: q, columns: t),
        MatrixView(w1 + kk * q * p, rows: q, columns: inWidth(kk), leadingDimension: p),
        MutableMatrixView(v + kk * p, rows: t, columns: inWidth(kk), leadingDimension: layout.inFeatures),
        transposeA: true)
    }
  }

  /// `dw2[ll] = Σ_b dyᵀ[ss·l + ll, b] · hᵀ[rr·l + ll, b]` for the blocks in `blocks`.
  /// - Complexity: O(B·s·r) per block.
  func secondFactorGradient(
    blocks: Range<Int>, outputGradient dyT: UnsafePointer<Scalar>, middle hT: UnsafePointer<Scalar>, rows t: Int,
    into dw2: UnsafeMutablePointer<Scalar>
  ) {
    for ll in blocks {
      gemm(
        MatrixView(dyT + ll * t, rows: s, columns: t, leadingDimension: l * t),
        MatrixView(hT + ll * t, rows: r, columns: t, leadingDimension: l * t),
        MutableMatrixView(dw2 + ll * s * r, rows: s, columns: r), transposeB: true)
    }
  }

  /// `dw1[kk] = dhᵀ[kk·q ..< (kk+1)·q, :] · x_kk`; the padded columns of `dw1` are left as they are (zero).
  /// - Complexity: O(B·q·p) per block.
  func firstFactorGradient(
    blocks: Range<Int>, middleGradient dhT: UnsafePointer<Scalar>, input x: UnsafePointer<Scalar>, rows t: Int,
    into dw1: UnsafeMutablePointer<Scalar>
  ) {
    for kk in blocks {
      gemm(
        MatrixView(dhT + kk * q * t, rows: q, columns: t),
        MatrixView(x + kk * p, rows: t, columns: inWidth(kk), leadingDimension: layout.inFeatures),
        MutableMatrixView(dw1 + kk * q * p, rows: q, columns: inWidth(kk), leadingDimension: p))
    }
  }
}

/// Copies the `rows × columns` matrix at `source` (leading dimension `sourceStride`) transposed into
/// `target` (leading dimension `targetStride`), in cache-sized tiles.
///
/// - Complexity: O(rows·columns).
func transposeCopy<Scalar>(
  _ source: UnsafePointer<Scalar>, rows: Int, columns: Int, sourceStride: Int,
  into target: UnsafeMutablePointer<Scalar>, targetStride: Int
) {
  let tile = 16
  for i0 in stride(from: 0, to: rows, by: tile) {
    let i1 = min(i0 + tile, rows)
    for j0 in stride(from: 0, to: columns, by: tile) {
      let j1 = min(j0 + tile, columns)
      for i in i0..<i1 {
        let row = source + i * sourceStride
        for j in j0..<j1 { target[j * targetStride + i] = row[j] }
      }
    }
  }
}
