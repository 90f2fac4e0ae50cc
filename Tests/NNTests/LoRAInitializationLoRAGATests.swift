import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// A deterministic gradient whose LoRA-GA numbers were computed independently in NumPy: `G[i][j] = ((7i + 13ij) mod 17)/17 − 0.5 + 0.1·sin(0.5·i·j)`.
private func oracleGradient(rows: Int = 64, columns: Int = 48) -> Tensor<Float> {
  Tensor(shape: [rows, columns]) { flat in
    let (i, j) = flat.quotientAndRemainder(dividingBy: columns)
    return Float(Double((7 * i + 13 * i * j) % 17) / 17 - 0.5 + 0.1 * sin(0.5 * Double(i * j)))
  }
}

/// The change of the effective weight after one SGD step of size `η` on `A` and `B` under the linear loss
/// `L(W) = ⟨G, W⟩` (whose weight gradient is `G` everywhere), in Double:
/// `A₁ = A − η·s·BᵀG`, `B₁ = B − η·s·G·Aᵀ`, `ΔW = s·(B₁A₁ − B·A)`.
private func sgdStepChange(_ factors: LoRAFactors, gradient: Tensor<Float>, scale s: Double, rate η: Double) -> Tensor<Double> {
  let a = factors.a.converted(to: Double.self)
  let b = factors.b.converted(to: Double.self)
  let g = gradient.converted(to: Double.self)
  let a1 = a - naiveMatmul(b.transposed(), g).map { η * s * $0 }
  let b1 = b - naiveMatmul(g, a.transposed()).map { η * s * $0 }
  return (naiveMatmul(b1, a1) - naiveMatmul(b, a)).map { s * $0 }
}

/// `G·AᵀA + B·Bᵀ·G` in Double, naively.
private func projectionSum(_ gradient: Tensor<Float>, _ factors: LoRAFactors) -> Tensor<Double> {
  let (g, a, b) = (
    gradient.converted(to: Double.self), factors.a.converted(to: Double.self), factors.b.converted(to: Double.self)
  )
  return naiveMatmul(naiveMatmul(g, a.transposed()), a) + naiveMatmul(b, naiveMatmul(b.transposed(), g))
}

/// `Bᵀ·G·Aᵀ` in Double, naively: zero when `B` and `A` pair disjoint singular triplets of `G`.
private func crossTerm(_ gradient: Tensor<Float>, _ factors: LoRAFactors) -> Tensor<Double> {
  let (g, a, b) = (
    gradient.converted(to: Double.self), factors.a.converted(to: Double.self), factors.b.converted(to: Double.self)
  )
  return naiveMatmul(naiveMatmul(b.transposed(), g), a.transposed())
}

/// `⟨x, y⟩ / (‖x‖ ‖y‖)`.
private func cosine(_ x: Tensor<Double>, _ y: Tensor<Double>) -> Double {
  zip(x.scalars, y.scalars).reduce(0) { $0 + $1.0 * $1.1 } / (x.frobeniusNorm * y.frobeniusNorm)
}

/// `‖(W_frozen + s·B·A) − W‖` against `Float` rounding of the larger of `W` and the offset.
private func expectOutputUnchanged(
  _ result: LoRAInitializationResult, weight: Tensor<Float>, scale: Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let original = weight.converted(to: Double.self)
  let effective = effectiveWeight(result, base: weight, scale: scale)
  let magnitude = max(
    weight.scalars.map { abs(Double($0)) }.max()!, result.frozenWeight!.scalars.map { abs(Double($0)) }.max()!)
  #expect(
    effective.maxAbsDifference(original) <= 1.2e-7 * magnitude, "W_frozen + s·B·A − W", sourceLocation: sourceLocation)
  // The layer's output for a batch of inputs: x·W_frozenᵀ + s·(x·Aᵀ)·Bᵀ against x·Wᵀ.
  let x = normalMatrix(5, weight.columns, seed: 99)
  let reference = naiveMatmul(x, weight.transposed())
  let adapted = naiveMatmul(x, result.frozenWeight!.transposed())
    + naiveMatmul(naiveMatmul(x, result.factors.a.transposed()), result.factors.b.converted(to: Double.self).transposed())
      .map { scale * $0 }
  #expect(relativeError(adapted, reference) < 1e-5, "output at initialization", sourceLocation: sourceLocation)
}

@Suite("LoRA-GA (authors' reference) and PEFT's LoRA-GA against sign-independent invariants")
struct LoRAInitializationLoRAGATests {
  /// The NumPy oracle: m = 64, n = 48, r = 4, α = 8, rsLoRA, γ = 16, ArB2r, exact SVD.
  @Test func deterministicOracle() throws {
    let gradient = oracleGradient()
    let reference = JacobiSVD(gradient)
    let published = [7.692136, 7.263312, 6.744083, 6.06247, 5.602192, 5.104697, 4.188734, 4.090578, 2.084369]
    for (value, expected) in zip(reference.values, published) { #expect(abs(value - expected) < 2e-6, "σ \(value)") }

    let weight = normalMatrix(64, 48, seed: 5, scale: 0.1)
    let scaling = try LoRAScaling(rank: 4, alpha: 8, useRSLoRA: true)
    var generator = SeededGenerator(seed: 1)
    let result = try LoRAInitialization.loraGA(LoRAGAOptions(svd: .exact)).initialize(
      weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
    let s = scaling.scale
    let c2 = 64.0.squareRoot() / 16  // c² = √m / γ
    #expect(s == 4 && abs(s * s * c2 - 8) < 1e-12, "ζ = s²c² = α²√m/(rγ) = 8")

    // Invariant 1: the output is unchanged.
    expectOutputUnchanged(result, weight: weight, scale: s)
    // Invariant 2: A Aᵀ = BᵀB = c²·I.
    let (a, b) = (result.factors.a, result.factors.b)
    #expect(gram(a.transposed()).maxAbsDifference(Tensor(identity: 4).map { c2 * $0 }) < 1e-6)
    #expect(gram(b).maxAbsDifference(Tensor(identity: 4).map { c2 * $0 }) < 1e-6)
    // Invariant 3: G AᵀA + B BᵀG = c²·G_{2r}.
    let g2r = reference.sum(over: 0..<8)
    #expect(relativeError(projectionSum(gradient, result.factors), g2r.map { c2 * $0 }) < 1e-6)
    let g = gradient.converted(to: Double.self)

    // Invariant 4: one SGD step moves W along −ζ·G_{2r} to first order, with the best cosine to −G.
    let best = (reference.values[0..<8].reduce(0) { $0 + $1 * $1 } / reference.values.reduce(0) { $0 + $1 * $1 }).squareRoot()
    #expect(abs(best - 0.9692019) < 1e-7)
    let expected: [(rate: Double, error: Double, cosine: Double)] = [(1e-5, 1.6e-4, 0.969202), (1e-3, 1.6e-2, 0.969076)]
    for (rate, expectedError, expectedCosine) in expected {
      let change = sgdStepChange(result.factors, gradient: gradient, scale: s, rate: rate)
      let target = g2r.map { -rate * 8 * $0 }
      let firstOrderError = relativeError(change, target)
      #expect(abs(firstOrderError / expectedError - 1) < 0.05, "η \(rate): first-order error \(firstOrderError)")
      let alignment = cosine(change, g.map { -$0 })
      #expect(abs(alignment - expectedCosine) < 1e-6, "η \(rate): cos(ΔW, −G) = \(alignment)")
    }
  }

  @Test func projectionIdentityHoldsForEveryDirection() throws {
    let (out, input, r) = (20, 13, 3)
    let gradient = normalMatrix(out, input, seed: 21)
    let weight = normalMatrix(out, input, seed: 22)
    let reference = JacobiSVD(gradient)
    let g2r = reference.sum(over: 0..<(2 * r))
    let scaling = try LoRAScaling(rank: r, alpha: 6)
    let fixedIndices: [LoRAGADirection: (a: [Int], b: [Int])] = [
      .arB2r: ([0, 1, 2], [3, 4, 5]), .a2rBr: ([3, 4, 5], [0, 1, 2]), .arBr: ([1, 3, 5], [0, 2, 4]),
    ]
    for direction in LoRAGADirection.allCases {
      for seed: UInt64 in [1, 2, 3] {
        var generator = SeededGenerator(seed: seed)
        let options = LoRAGAOptions(direction: direction, scale: .unit, svd: .exact)
        let result = try options.initialize(
          weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
        let (a, b) = (result.factors.a, result.factors.b)
        #expect(gram(a.transposed()).maxAbsDifference(Tensor(identity: r)) < 1e-6, "\(direction): A Aᵀ = I")
        #expect(gram(b).maxAbsDifference(Tensor(identity: r)) < 1e-6, "\(direction): BᵀB = I")
        #expect(relativeError(projectionSum(gradient, result.factors), g2r) < 1e-6, "\(direction), seed \(seed)")
        // The pairs in B·A never share an index: Bᵀ G Aᵀ = 0 (B's vectors are orthogonal to G's image of A's).
        let cross = crossTerm(gradient, result.factors)
        #expect(cross.scalars.allSatisfy { abs($0) < 1e-5 }, "\(direction): Bᵀ G Aᵀ = 0")
        expectOutputUnchanged(result, weight: weight, scale: scaling.scale)
        // Which triplets each factor took, free of signs: AᵀA = Σ_{i∈A} vᵢvᵢᵀ and B Bᵀ = Σ_{i∈B} uᵢuᵢᵀ.
        guard let indices = fixedIndices[direction] else { continue }
        #expect(gram(a).maxAbsDifference(projector(reference.vt.transposed(), indices.a)) < 1e-6, "\(direction): A")
        #expect(naiveMatmul(b, b.transposed()).maxAbsDifference(projector(reference.u, indices.b)) < 1e-6, "\(direction): B")
      }
    }
  }

  @Test func scaleRulesGiveTheDocumentedFactorNorms() throws {
    let (out, input, r) = (16, 12, 2)
    let gradient = normalMatrix(out, input, seed: 31)
    let weight = normalMatrix(out, input, seed: 32, scale: 3)
    let scaling = try LoRAScaling(rank: r, alpha: 5)
    let s = scaling.scale
    let weightValues = JacobiSVD(weight).values
    let meanRoot = weightValues[0..<r].map { ($0 / s).squareRoot() }.reduce(0, +) / Double(r)
    let expected: [(LoRAGAOptions.Scale, Double)] = [
      (.stable, 2 / 3.0.squareRoot()),  // 16^{1/4}/√3 with γ = 3
      (.gd, 1 / s), (.unit, 1), (.weightS, meanRoot),
    ]
    for (rule, c) in expected {
      var generator = SeededGenerator(seed: 0)
      let result = try LoRAGAOptions(scale: rule, stableGamma: 3, svd: .exact).initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
      let identity = Tensor<Double>(identity: r).map { c * c * $0 }
      #expect(gram(result.factors.a.transposed()).maxAbsDifference(identity) < 1e-6 * max(1, c * c), "\(rule)")
      #expect(gram(result.factors.b).maxAbsDifference(identity) < 1e-6 * max(1, c * c), "\(rule)")
      expectOutputUnchanged(result, weight: weight, scale: s)
    }
  }

  @Test func normClipShrinksTheOffsetToTheWeightsLargestEntry() throws {
    let (out, input, r) = (16, 12, 2)
    let gradient = normalMatrix(out, input, seed: 41)
    let scaling = try LoRAScaling(rank: r, alpha: 16)
    for weightScale in [1e-3, 10.0] {
      let weight = normalMatrix(out, input, seed: 42, scale: weightScale)
      var generator = SeededGenerator(seed: 0)
      let unclipped = try LoRAGAOptions(svd: .exact).initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
      let clipped = try LoRAGAOptions(normClip: true, svd: .exact).initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
      let offset = naiveMatmul(clipped.factors.b, clipped.factors.a).map { scaling.scale * $0 }
      let largestOffset = offset.scalars.map(abs).max()!
      let largestWeight = Double(weight.scalars.map(abs).max()!)
      let unclippedOffset = naiveMatmul(unclipped.factors.b, unclipped.factors.a).scalars.map(abs).max()! * scaling.scale
      if unclippedOffset > largestWeight {
        #expect(abs(largestOffset / largestWeight - 1) < 1e-6, "clipped to max|W| at scale \(weightScale)")
      } else {
        #expect(clipped == unclipped, "no clip needed at scale \(weightScale)")
      }
      expectOutputUnchanged(clipped, weight: weight, scale: scaling.scale)
    }
  }

  @Test func randomizedSVDMatchesExactOnAGradientWithASpectralGap() throws {
    let (out, input, r) = (60, 40, 3)
    // Rank-6 signal plus small noise: the leading 2r = 6 singular vectors are well separated from the rest.
    let signal = naiveMatmul(normalMatrix(out, 6, seed: 51), normalMatrix(6, input, seed: 52)).converted(to: Float.self)
    let gradient = signal + normalMatrix(out, input, seed: 53, scale: 1e-3)
    let weight = normalMatrix(out, input, seed: 54)
    let scaling = try LoRAScaling(rank: r, alpha: 4)
    let g2r = JacobiSVD(gradient).sum(over: 0..<(2 * r))
    var generator = SeededGenerator(seed: 9)
    let result = try LoRAGAOptions(scale: .unit, svd: .randomized(powerIterations: 2)).initialize(
      weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
    #expect(relativeError(projectionSum(gradient, result.factors), g2r) < 1e-5)
    expectOutputUnchanged(result, weight: weight, scale: scaling.scale)
  }

  // MARK: PEFT's variant

  @Test func peftVariantPutsTheSingularValuesInBAndScalesOnlyB() throws {
    let (out, input, r) = (16, 10, 2)
    let gradient = normalMatrix(out, input, seed: 61)
    let weight = normalMatrix(out, input, seed: 62)
    let reference = JacobiSVD(gradient)
    let scaling = try LoRAScaling(rank: r, alpha: 8, useRSLoRA: true)
    let stable = 2 / 16.0.squareRoot()  // out^{1/4}/√γ = 2/4
    for direction in [LoRAGADirection.arB2r, .a2rBr, .arBr] {
      var generator = SeededGenerator(seed: 0)
      let result = try PEFTLoRAGAOptions(direction: direction, svd: .exact).initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
      let (a, b) = (result.factors.a, result.factors.b)
      let (indicesA, indicesB): ([Int], [Int]) =
        switch direction {
        case .arB2r: ([0, 1], [2, 3])
        case .a2rBr: ([2, 3], [0, 1])
        default: ([1, 3], [0, 2])
        }
      #expect(gram(a.transposed()).maxAbsDifference(Tensor(identity: r)) < 1e-6, "\(direction): A Aᵀ = I, unscaled")
      // BᵀB = diag(c·σ_B)²: orthogonal columns whose norms are the selected singular values times c.
      let expectedGram = Tensor<Double>(shape: [r, r]) { flat in
        flat % (r + 1) == 0 ? pow(stable * reference.values[indicesB[flat / r]], 2) : 0
      }
      #expect(gram(b).maxAbsDifference(expectedGram) < 1e-5, "\(direction): BᵀB")
      // Sign-free subspaces: AᵀA = Σ_{i∈A} vᵢvᵢᵀ and B Bᵀ = c² Σ_{i∈B} σᵢ² uᵢuᵢᵀ.
      #expect(gram(a).maxAbsDifference(projector(reference.vt.transposed(), indicesA)) < 1e-6)
      let bbt = naiveMatmul(b, b.transposed())
      let expectedBBt = weightedProjector(reference.u, indicesB, weights: indicesB.map { pow(stable * reference.values[$0], 2) })
      #expect(bbt.maxAbsDifference(expectedBBt) < 1e-5)
      expectOutputUnchanged(result, weight: weight, scale: scaling.scale)
    }
  }

  @Test func peftVariantRandomDirectionUsesOneIndexSetAndTheOtherScales() throws {
    let (out, input, r) = (16, 10, 2)
    let gradient = normalMatrix(out, input, seed: 71)
    let weight = normalMatrix(out, input, seed: 72)
    let reference = JacobiSVD(gradient)
    let scaling = try LoRAScaling(rank: r, alpha: 4)
    for seed: UInt64 in [1, 2, 3, 4] {
      var generator = SeededGenerator(seed: seed)
      let result = try PEFTLoRAGAOptions(direction: .random, scale: .unit, svd: .exact).initialize(
        weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
      // A and B pair the same triplets: Bᵀ G Aᵀ = diag(±σᵢ²) over the chosen i ∈ 0..<2r.
      let cross = crossTerm(gradient, result.factors)
      for i in 0..<r {
        let squared = abs(cross[i, i])
        #expect(reference.values[0..<(2 * r)].contains { abs($0 * $0 - squared) < 1e-4 * squared }, "diagonal \(squared)")
        for j in 0..<r where j != i { #expect(abs(cross[i, j]) < 1e-4) }
      }
    }
    let topWeightValue = JacobiSVD(weight).values[0]
    var generator = SeededGenerator(seed: 0)
    let weightSVD = try PEFTLoRAGAOptions(scale: .weightSVD, svd: .exact).initialize(
      weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
    let firstColumnNorm = gram(weightSVD.factors.b)[0, 0].squareRoot()
    #expect(abs(firstColumnNorm / topWeightValue - 1) < 1e-6, "weight_svd: B's first column has norm σ₁(W)")
    let gdScale = try PEFTLoRAGAOptions(scale: .gdScale, svd: .exact).initialize(
      weight: weight, gradient: gradient, scaling: scaling, module: "fc", using: &generator)
    let s = scaling.scale
    #expect(gram(gdScale.factors.a.transposed()).maxAbsDifference(Tensor(identity: r).map { $0 / (s * s) }) < 1e-6)
    #expect(abs(gram(gdScale.factors.b)[0, 0].squareRoot() * s / reference.values[r] - 1) < 1e-6)
    expectOutputUnchanged(gdScale, weight: weight, scale: s)
  }
}

/// `Σ_{i ∈ indices} qᵢ qᵢᵀ` for the columns `qᵢ` of `q`.
private func projector(_ q: Tensor<Double>, _ indices: [Int]) -> Tensor<Double> {
  weightedProjector(q, indices, weights: indices.map { _ in 1 })
}

/// `Σ wᵢ qᵢ qᵢᵀ` over the given columns of `q`.
private func weightedProjector(_ q: Tensor<Double>, _ indices: [Int], weights: [Double]) -> Tensor<Double> {
  let m = q.rows
  var result = Tensor<Double>(zeros: [m, m])
  for (index, weight) in zip(indices, weights) {
    for i in 0..<m {
      for j in 0..<m { result[i, j] += weight * q[i, index] * q[j, index] }
    }
  }
  return result
}
