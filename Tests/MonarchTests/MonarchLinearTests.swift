import Monarch
import TensorCore
import TestSupport
import Testing

@Suite("MonarchLinear layer and the low-rank baseline")
struct MonarchLinearTests {
  @Test func defaultLayoutIsTheReferenceLayer() throws {
    var generator = SeededGenerator(seed: 41)
    let layer = try MonarchLinear<Float>(inFeatures: 768, outFeatures: 768, using: &generator)
    // fly's MonarchLinear(nblocks=4) on 768 × 768: w1 (4, 192, 192), w2 (4, 192, 192), slice rank 48.
    #expect(layer.weight.layout.firstFactorShape == [4, 192, 192])
    #expect(layer.weight.layout.secondFactorShape == [4, 192, 192])
    #expect(layer.weight.layout.sliceRank == 48)
  }

  @Test func initializationMatchesTheVarianceOfADenseLayer() throws {
    var generator = SeededGenerator(seed: 42)
    for (inWidth, outWidth, blocks) in [(256, 256, 4), (128, 384, 8), (400, 120, 4)] {
      let layer = try MonarchLinear<Double>(
        inFeatures: inWidth, outFeatures: outWidth, blocks: blocks, using: &generator)
      let dense = layer.weight.dense()
      let meanSquare = dense.scalars.reduce(0) { $0 + $1 * $1 } / Double(dense.count)
      let target = 1 / (3 * Double(inWidth))  // nn.Linear: U(±1/√in)
      #expect(abs(meanSquare / target - 1) < 0.1, "\(inWidth)→\(outWidth): \(meanSquare) vs \(target)")
    }
  }

  @Test func forwardAndBackwardAddTheBias() throws {
    var generator = SeededGenerator(seed: 43)
    let layer = try MonarchLinear<Double>(inFeatures: 12, outFeatures: 10, blocks: 2, using: &generator)
    let bias = try #require(layer.bias)
    let x = Tensor<Double>.normal(shape: [4, 12], using: &generator)
    let y = try layer(x)
    let reference = naiveMatmul(x, layer.weight.dense().transposed())
    for b in 0..<4 { for o in 0..<10 { #expect(abs(y[b, o] - reference[b, o] - bias[o]) < 1e-12) } }
    let dy = Tensor<Double>.normal(shape: [4, 10], using: &generator)
    let gradients = try layer.backward(input: x, outputGradient: dy)
    let biasGradient = try #require(gradients.bias)
    for o in 0..<10 { #expect(abs(biasGradient[o] - (0..<4).reduce(0) { $0 + dy[$1, o] }) < 1e-12) }
    #expect(discrepancy(gradients.input, naiveMatmul(dy, layer.weight.dense()), absoluteTolerance: 1e-12).isWithinTolerance)
  }

  @Test func lowRankBaselineDiscardsTheTailOfAKnownSpectrum() throws {
    // W = (H/8) diag(σ) (H/8) with the orthogonal normalized Hadamard H of order 64: singular values σ exactly.
    let h = hadamard(power: 6).map { $0 / 8 }
    let sigma = (0..<64).map { 1 / Double($0 + 1) }
    var scaled = h
    for i in 0..<64 { for j in 0..<64 { scaled[i, j] *= sigma[j] } }
    let w = naiveMatmul(scaled, h)
    var generator = SeededGenerator(seed: 44)
    let baseline = try LowRankBaseline(of: w, parameterCount: 1024, using: &generator)
    #expect(baseline.rank == 8)
    let expected = sigma[8...].reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(baseline.error - expected) < 1e-12)
    // The randomized path on the same matrix agrees closely.
    let randomized = try LowRankBaseline(of: w, parameterCount: 1024, exactLimit: 0, using: &generator)
    #expect(abs(randomized.error - expected) < 1e-3 * expected)
  }
}
