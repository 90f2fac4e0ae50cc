import NN
import TensorCore
import TestSupport
import Testing

@Suite("The rank-2r conversion of a weight-changing adapter to the original weight")
struct LoRAInitializationRankDoublingTests {
  @Test func stackedFactorsApplyTheTrainedChangeToTheOriginalWeight() throws {
    let (out, input, r) = (12, 9, 2)
    let weight = normalMatrix(out, input, seed: 101)
    let gradient = normalMatrix(out, input, seed: 102)
    let scaling = try LoRAScaling(rank: r, alpha: 8, useRSLoRA: true)
    var generator = SeededGenerator(seed: 0)
    let initial = try LoRAInitialization.loraGA(LoRAGAOptions(svd: .exact)).initialize(
      weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
    // Stand-ins for trained factors: the initial ones plus a perturbation.
    let trained = try LoRAFactors(
      a: initial.factors.a + normalMatrix(r, input, seed: 103, scale: 0.1),
      b: initial.factors.b + normalMatrix(out, r, seed: 104, scale: 0.1))
    let converted = try LoRAFactors.convertedToOriginalWeight(trained: trained, initial: initial.factors, module: "fc")
    #expect(converted.a.shape == [2 * r, input] && converted.b.shape == [out, 2 * r])
    // Exactly the entries of both pairs: A' = [A_f; A₀], B' = [B_f, −B₀].
    for i in 0..<r {
      for j in 0..<input {
        #expect(converted.a[i, j] == trained.a[i, j] && converted.a[r + i, j] == initial.factors.a[i, j])
      }
    }
    for i in 0..<out {
      for j in 0..<r {
        #expect(converted.b[i, j] == trained.b[i, j] && converted.b[i, r + j] == -initial.factors.b[i, j])
      }
    }
    let product = naiveMatmul(converted.b, converted.a)
    let difference = naiveMatmul(trained.b, trained.a) - naiveMatmul(initial.factors.b, initial.factors.a)
    #expect(product.maxAbsDifference(difference) < 1e-12)

    // W + s'·B'A' with the doubled scaling is the trained layer W_frozen + s·B_f A_f.
    let doubled = scaling.doublingRank()
    #expect(doubled.rank == 2 * r && doubled.useRSLoRA && abs(doubled.scale - scaling.scale) < 1e-12)
    let original = weight.converted(to: Double.self) + product.map { doubled.scale * $0 }
    let trainedLayer = initial.frozenWeight!.converted(to: Double.self)
      + naiveMatmul(trained.b, trained.a).map { scaling.scale * $0 }
    #expect(original.maxAbsDifference(trainedLayer) < 1e-5)
  }

  @Test func doublingTheRankKeepsTheScale() throws {
    let plain = try LoRAScaling(rank: 4, alpha: 8).doublingRank()
    #expect(plain.rank == 8 && plain.alpha == 16 && plain.scale == 2 && !plain.useRSLoRA)
    let stabilized = try LoRAScaling(rank: 8, alpha: 16, useRSLoRA: true).doublingRank()
    #expect(stabilized.rank == 16 && abs(stabilized.alpha - 16 * 2.0.squareRoot()) < 1e-12)
    #expect(abs(stabilized.scale - 16 / 8.0.squareRoot()) < 1e-12)
  }

  @Test func factorsOfDifferentShapesAreRejected() throws {
    let first = try LoRAFactors(a: Tensor(zeros: [2, 5]), b: Tensor(zeros: [3, 2]))
    let second = try LoRAFactors(a: Tensor(zeros: [3, 5]), b: Tensor(zeros: [3, 3]))
    let expected = LoRAError.conversionShapesDiffer(
      module: "blocks.1.attn", trained: [[2, 5], [3, 2]], initial: [[3, 5], [3, 3]])
    #expect(throws: expected) {
      try LoRAFactors.convertedToOriginalWeight(trained: first, initial: second, module: "blocks.1.attn")
    }
  }
}
