import Foundation
import NN
import TensorCore
import TestSupport
import Testing

@Suite("PiSSA against the weight's singular value decomposition")
struct LoRAInitializationPiSSATests {
  @Test func adapterIsThePrincipalPartAndTheResidualKeepsTheTail() throws {
    let (out, input, r) = (18, 11, 3)
    let weight = normalMatrix(out, input, seed: 81)
    let reference = JacobiSVD(weight)
    for (alpha, rsLoRA) in [(16.0, false), (3.0, true)] {
      let scaling = try LoRAScaling(rank: r, alpha: alpha, useRSLoRA: rsLoRA)
      var generator = SeededGenerator(seed: 0)
      let result = try PiSSAOptions(svd: .exact).initialize(weight: weight, scaling: scaling, module: "fc", using: &generator)
      let s = scaling.scale
      // s·B·A is the best rank-r approximation whatever α is.
      let principal = naiveMatmul(result.factors.b, result.factors.a).map { s * $0 }
      #expect(relativeError(principal, reference.sum(over: 0..<r)) < 1e-6, "α \(alpha)")
      // A Aᵀ = BᵀB = diag(σ/s): the square roots are split evenly.
      let expected = Tensor<Double>(shape: [r, r]) { $0 % (r + 1) == 0 ? reference.values[$0 / r] / s : 0 }
      #expect(gram(result.factors.a.transposed()).maxAbsDifference(expected) < 1e-5 * reference.values[0] / s)
      #expect(gram(result.factors.b).maxAbsDifference(expected) < 1e-5 * reference.values[0] / s)
      // Output unchanged, and the residual's singular values are the tail of W's.
      let effective = effectiveWeight(result, base: weight, scale: s)
      #expect(relativeError(effective, weight.converted(to: Double.self)) < 1e-6)
      let residual = JacobiSVD(result.frozenWeight!).values
      let tail = Array(reference.values[r...])
      for (value, expectedValue) in zip(residual, tail) {
        #expect(abs(value - expectedValue) < 1e-5, "\(value) vs \(expectedValue)")
      }
      #expect(residual[(input - r)...].allSatisfy { $0 < 1e-5 }, "rank of W_res is min(out, in) − r")
    }
  }

  @Test func randomizedPiSSAIsCloseToExactOnAMatrixWithASpectralGap() throws {
    let (out, input, r) = (70, 50, 4)
    // Rank-4 signal (σ of order 10) plus noise of order 0.01: a gap of three orders of magnitude after σ₄.
    let signal = naiveMatmul(normalMatrix(out, r, seed: 91), normalMatrix(r, input, seed: 92)).converted(to: Float.self)
    let weight = signal + normalMatrix(out, input, seed: 93, scale: 1e-3)
    let scaling = try LoRAScaling(rank: r, alpha: 8)
    var generator = SeededGenerator(seed: 4)
    let exact = try PiSSAOptions(svd: .exact).initialize(weight: weight, scaling: scaling, module: "fc", using: &generator)
    let randomized = try LoRAInitialization(name: "pissa_niter_2")!.initialize(
      weight: weight, scaling: scaling, module: "fc", using: &generator)
    let s = scaling.scale
    let exactPart = naiveMatmul(exact.factors.b, exact.factors.a).map { s * $0 }
    let randomizedPart = naiveMatmul(randomized.factors.b, randomized.factors.a).map { s * $0 }
    #expect(relativeError(randomizedPart, exactPart) < 1e-5)
    #expect(relativeError(effectiveWeight(randomized, base: weight, scale: s), weight.converted(to: Double.self)) < 1e-6)
  }
}
