import CKernels
import TensorCore

/// The packed factors of a `Float` Monarch matrix for the vectorized C forward kernels, for layouts with a
/// uniform slice rank, `l` a multiple of 16 and no padding.
///
/// Both factors are copied once into 64-byte aligned memory so that both steps read whole cache lines as
/// 16-lane vectors: `w1t[kk][pp][qq] = w1[kk][qq][pp]` and `w2p[ll / 16][ss][rr][ll % 16] = w2[ll][ss][rr]`.
/// The second step then needs no permutation copies: 16 consecutive outputs `y[b, ss·l + ll]` are contiguous and
/// are a sum over `rr` of elementwise products of `w2p` with the middle activation (see
/// `sml_monarch_forward_tile_f32`). The packed memory is never written after `init`, so one instance may serve
/// concurrent multiplies; ``PackedForwardCache`` keeps it with the matrix.
final class PackedForward: @unchecked Sendable {
  /// The batch rows of one tile: the tile's middle activation (`k·q·64` bytes per row) stays in L2.
  static let tileRows = 32

  /// The alignment of the packed factors and of the middle activation, in bytes: one cache line.
  static let alignment = 64

  let layout: MonarchLayout
  let rank: Int
  /// `w1t[kk][pp][qq]`, `k·p·q` floats.
  let w1t: UnsafeMutablePointer<Float>
  /// `w2p[ll / 16][ss][rr][ll % 16]`, `s·r·l` floats.
  let w2p: UnsafeMutablePointer<Float>

  /// Whether the packed kernels cover `layout`.
  static func accepts(_ layout: MonarchLayout) -> Bool {
    layout.sliceRank != nil && layout.outBlocks % 16 == 0
      && layout.inFeatures == layout.paddedInFeatures && layout.outFeatures == layout.paddedOutFeatures
      && layout.middleWidth * tileRows <= Int(Int32.max)
  }

  /// Cache-line aligned memory for `count` floats; release it with `UnsafeMutableRawPointer(_:).deallocate()`.
  static func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: alignment)
      .bindMemory(to: Float.self, capacity: count)
  }

  /// Packs the factors of `view`, whose layout the kernels must accept.
  ///
  /// - Complexity: O(k·q·p + l·s·r).
  init(_ view: MonarchFactorsView<Float>) {
    let layout = view.layout
    precondition(Self.accepts(layout), "PackedForward: \(layout) is not covered by the packed kernels")
    let (k, l, p, q, s, r) = (
      layout.inBlocks, layout.outBlocks, layout.inBlockSize, layout.firstBlockRows, layout.outBlockSize,
      layout.secondBlockColumns
    )
    self.layout = layout
    rank = q / l
    w1t = Self.allocateAligned(k * p * q)
    w2p = Self.allocateAligned(s * r * l)
    view.transposeFactors(w1t: w1t, w2t: nil)
    Self.packSecondFactor(view, into: w2p)
  }

  /// Writes `w2p[ll / 16][ss][rr][ll % 16] = w2[ll][ss][rr]` (`s·r·l` floats) for a layout with `l` a multiple
  /// of 16: the second factor as the forward tiles and `sml_monarch_transposed_lanes_f32` read it.
  ///
  /// - Complexity: O(l·s·r).
  static func packSecondFactor(_ view: MonarchFactorsView<Float>, into w2p: UnsafeMutablePointer<Float>) {
    let (l, s, r) = (view.layout.outBlocks, view.layout.outBlockSize, view.layout.secondBlockColumns)
    let w2 = view.w2.baseAddress!
    for ll in 0..<l {
      for ss in 0..<s {
        let target = ((ll / 16 * s + ss) * r) * 16 + ll % 16
        for rr in 0..<r { w2p[target + rr * 16] = w2[(ll * s + ss) * r + rr] }
      }
    }
  }

  deinit {
    UnsafeMutableRawPointer(w1t).deallocate()
    UnsafeMutableRawPointer(w2p).deallocate()
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
    let (w1t, w2p) = (self.w1t, self.w2p)
    parallelFor(tiles) { range in
      let h = Self.allocateAligned(layout.middleWidth * Self.tileRows)
      defer { UnsafeMutableRawPointer(h).deallocate() }
      for tile in range {
        let start = tile * Self.tileRows
        sml_monarch_forward_tile_f32(
          x + start * inWidth, inWidth, Int32(min(Self.tileRows, batch - start)), w1t, w2p,
          Int32(layout.inBlocks), Int32(layout.inBlockSize), Int32(rank), Int32(layout.outBlocks),
          Int32(layout.outBlockSize), h, y + start * outWidth, outWidth, level)
      }
    }
  }
}

/// Copies the `rows × columns` matrix at `source` (leading dimension `sourceStride`) transposed into
/// `target` (leading dimension `targetStride`): `Float` by the vectorized `sml_transpose_f32`, other scalars in
/// cache-sized tiles.
///
/// - Complexity: O(rows·columns).
@inline(__always)
func transposeCopy<Scalar>(
  _ source: UnsafePointer<Scalar>, rows: Int, columns: Int, sourceStride: Int,
  into target: UnsafeMutablePointer<Scalar>, targetStride: Int
) {
  if Scalar.self == Float.self {
    sml_transpose_f32(
      Int32(rows), Int32(columns), UnsafeRawPointer(source).assumingMemoryBound(to: Float.self), sourceStride,
      UnsafeMutableRawPointer(target).assumingMemoryBound(to: Float.self), targetStride, sml_cpu_vector_level())
    return
  }
  let tile = 16
  var i0 = 0
  while i0 < rows {
    let i1 = min(i0 + tile, rows)
    var j0 = 0
    while j0 < columns {
      let j1 = min(j0 + tile, columns)
      for i in i0..<i1 {
        let row = source + i * sourceStride
        for j in j0..<j1 { target[j * targetStride + i] = row[j] }
      }
      j0 = j1
    }
    i0 = i1
  }
}
