import CKernels
import TensorCore

/// The forward multiply of `Float` Monarch matrices through the vectorized C micro-kernels, for layouts with a
/// uniform slice rank, `l` a multiple of 16 and no padding.
///
/// The factors are packed once per multiply so that both steps read contiguous 16-lane vectors:
/// `w1t[kk][pp][qq] = w1[kk][qq][pp]` and `w2p[ll / 16][ss][rr][ll % 16] = w2[ll][ss][rr]`. The second step
/// then needs no permutation copies: 16 consecutive outputs `y[b, ss·l + ll]` are contiguous and are a sum over
/// `rr` of elementwise products of `w2p` with the middle activation (see `sml_monarch_forward_tile_f32`).
struct PackedForward {
  /// The batch rows of one tile: the tile's middle activation (`k·q·64` bytes per row) stays in L2.
  static let tileRows = 32

  let layout: MonarchLayout
  let rank: Int
  let w1t: [Float]
  let w2p: [Float]

  /// Whether the packed kernels cover `layout`.
  static func accepts(_ layout: MonarchLayout) -> Bool {
    layout.sliceRank != nil && layout.outBlocks % 16 == 0
      && layout.inFeatures == layout.paddedInFeatures && layout.outFeatures == layout.paddedOutFeatures
      && layout.middleWidth * tileRows <= Int(Int32.max)
  }

  /// Packs the factors of `matrix`, whose layout the kernels must accept.
  ///
  /// - Complexity: O(k·q·p + l·s·r).
  init(_ matrix: MonarchMatrix<Float>) {
    let layout = matrix.layout
    precondition(Self.accepts(layout), "PackedForward: \(layout) is not covered by the packed kernels")
    let (k, l, p, q, s, r) = (
      layout.inBlocks, layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize,
      layout.secondBlockColumns
    )
    self.layout = layout
    rank = q / l
    w1t = [Float](unsafeUninitializedCapacity: k * p * q) { packed, count in
      matrix.w1.scalars.withUnsafeBufferPointer { w1 in
        for kk in 0..<k {
          transposeCopy(
            w1.baseAddress! + kk * q * p, rows: q, columns: p, sourceStride: p,
            into: packed.baseAddress! + kk * p * q, targetStride: q)
        }
      }
      count = k * p * q
    }
    w2p = [Float](unsafeUninitializedCapacity: s * r * l) { packed, count in
      matrix.w2.scalars.withUnsafeBufferPointer { w2 in
        for ll in 0..<l {
          for ss in 0..<s {
            let target = ((ll / 16 * s + ss) * r) * 16 + ll % 16
            for rr in 0..<r { packed[target + rr * 16] = w2[(ll * s + ss) * r + rr] }
          }
        }
      }
      count = s * r * l
    }
  }

  /// `y = x Mᵀ` for `batch` rows, in tiles of ``tileRows`` spread over all cores.
  ///
  /// - Parameters:
  ///   - x: `batch` rows of `in` floats.
  ///   - batch: The number of rows.
  ///   - y: Receives `batch` rows of `out` floats.
  ///   - level: The widest vector level to use (`sml_cpu_vector_level()` for the fastest).
  /// - Complexity: O(batch·(k·q·p + l·s·r)).
  func multiply(_ x: UnsafePointer<Float>, batch: Int, into y: UnsafeMutablePointer<Float>, level: Int32) {
    let tiles = (batch + Self.tileRows - 1) / Self.tileRows
    let (inWidth, outWidth) = (layout.inFeatures, layout.outFeatures)
    w1t.withUnsafeBufferPointer { w1t in
      w2p.withUnsafeBufferPointer { w2p in
        parallelFor(tiles) { range in
          let h = UnsafeMutablePointer<Float>.allocate(capacity: layout.middleWidth * Self.tileRows)
          defer { h.deallocate() }
          for tile in range {
            let start = tile * Self.tileRows
            sml_monarch_forward_tile_f32(
              x + start * inWidth, inWidth, Int32(min(Self.tileRows, batch - start)), w1t.baseAddress,
              w2p.baseAddress, Int32(layout.inBlocks), Int32(layout.inBlockSize), Int32(rank),
              Int32(layout.outBlocks), Int32(layout.outBlockSize), h, y + start * outWidth, outWidth, level)
          }
        }
      }
    }
  }
}
