import Foundation

/// The packed (or transposed) factors of one Monarch matrix, made by its first `Float` multiply and shared by all
/// its copies.
///
/// A ``MonarchMatrix`` never changes its factors (they are `let`s; a changed matrix is a new value with a new
/// cache), so the packing stays valid for the life of the box. The lock makes the first fill safe when several
/// threads multiply by the same matrix at once: exactly one of them packs, the others wait and share it.
final class PackedForwardCache: @unchecked Sendable {
  private let lock = NSLock()
  private var packed: PackedForward?
  private var transposed: TransposedFactors?

  /// The packed factors of `matrix`, packed on the first call.
  ///
  /// - Parameter matrix: The matrix that owns this cache; its layout must be accepted by ``PackedForward``.
  /// - Returns: The shared packing.
  /// - Complexity: O(k·q·p + l·s·r) on the first call, O(1) afterwards.
  func packed(for matrix: MonarchMatrix<Float>) -> PackedForward {
    lock.withLock {
      if let packed { return packed }
      let made = matrix.withFactorsView { PackedForward($0) }
      packed = made
      return made
    }
  }

  /// The transposed factors of `matrix`, made on the first call.
  ///
  /// - Parameter matrix: The matrix that owns this cache.
  /// - Returns: The shared transposed factors.
  /// - Complexity: O(k·q·p + l·s·r) on the first call, O(1) afterwards.
  func transposed(for matrix: MonarchMatrix<Float>) -> TransposedFactors {
    lock.withLock {
      if let transposed { return transposed }
      let made = matrix.withFactorsView { TransposedFactors($0) }
      transposed = made
      return made
    }
  }
}
