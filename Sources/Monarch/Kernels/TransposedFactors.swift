import TensorCore

/// Both factors of a `Float` Monarch matrix transposed block by block, `w1t[kk][pp][qq] = w1[kk][qq][pp]` and
/// `w2t[ll][rr][ss] = w2[ll][ss][rr]`: the right operands of the forward steps on the block-product kernel, kept
/// by a ``MonarchMatrix`` whose layout the lane-packed forward (``PackedForward``) does not cover.
///
/// The memory is never written after `init`, so one instance may serve concurrent multiplies.
final class TransposedFactors: @unchecked Sendable {
  /// `w1t`, `k·p·q` floats, 64-byte aligned.
  let w1t: UnsafeMutablePointer<Float>
  /// `w2t`, `l·r·s` floats, 64-byte aligned.
  let w2t: UnsafeMutablePointer<Float>

  /// Transposes the factors of `view`.
  ///
  /// - Complexity: O(k·q·p + l·s·r).
  init(_ view: MonarchFactorsView<Float>) {
    w1t = PackedForward.allocateAligned(view.w1.count)
    w2t = PackedForward.allocateAligned(view.w2.count)
    view.transposeFactors(w1t: w1t, w2t: w2t)
  }

  deinit {
    UnsafeMutableRawPointer(w1t).deallocate()
    UnsafeMutableRawPointer(w2t).deallocate()
  }
}
