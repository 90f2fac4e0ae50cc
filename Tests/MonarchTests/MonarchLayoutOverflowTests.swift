import Monarch
import TensorCore
import Testing

/// Layouts whose sizes overflow `Int` are rejected with ``MonarchError`` instead of trapping. Found by the
/// `FuzzMonarchFactors` fuzzer (`Fuzz/Corpus/FuzzMonarchFactors/broken_huge_features.safetensors` and
/// `broken_zero_element_huge_extent.safetensors`).
@Suite struct MonarchLayoutOverflowTests {
  static let huge = Int.max

  @Test(arguments: [
    // in_features/out_features near Int.max with small factors (the ceiling division overflowed).
    (huge, huge, 2, 2, 2, 2),
    (huge, 4, 2, 2, 2, 2),
    (4, huge - 1, 2, 2, 2, 2),
    // k·q overflows.
    (4, 4, 2, 2, huge / 2 + 1, 2),
    (4, 4, 2, 2, 2, huge),
    // Factor sizes k·q·p overflow although each extent fits.
    (1 << 40, 1 << 40, 1, 1, 1 << 30, 1 << 30),
  ])
  func overflowingLayoutThrows(
    _ shape: (inFeatures: Int, outFeatures: Int, k: Int, l: Int, q: Int, r: Int)
  ) {
    #expect(throws: MonarchError.self) {
      try MonarchLayout(
        inFeatures: shape.inFeatures, outFeatures: shape.outFeatures, inBlocks: shape.k, outBlocks: shape.l,
        firstBlockRows: shape.q, secondBlockColumns: shape.r)
    }
  }

  @Test func overflowingRankThrows() {
    #expect(throws: MonarchError.self) {
      try MonarchLayout(inFeatures: 1 << 40, outFeatures: 1 << 40, inBlocks: 4, outBlocks: 4, rank: Int.max / 2)
    }
  }

  @Test func zeroElementFactorsWithHugeExtentsThrow() {
    let w1 = Tensor<Float>(zeros: [1 << 40, 0, 1 << 40])
    let w2 = Tensor<Float>(zeros: [1 << 40, 0, 1 << 40])
    #expect(throws: MonarchError.self) { try MonarchMatrix(w1: w1, w2: w2) }
    #expect(throws: MonarchError.self) { try MonarchMatrix(w1: w1, w2: w2, inFeatures: 4, outFeatures: 4) }
  }
}
