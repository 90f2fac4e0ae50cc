import Testing
import ProbabilityMaps
import TensorCore
import TestSupport

@Suite("Probability maps: backward passes against finite differences")
struct BackwardTests {
  static let maps = allMaps + [
    NamedMap(name: "log-softmax T=2", map: try! LogSoftmax(temperature: 2)),
    NamedMap(name: "entmax per-row", map: try! Entmax(alphaPerRow: [1, 1.3, 1.5, 2.4])),
  ]

  @Test(arguments: maps)
  func vectorJacobianProductMatchesFiniteDifferences(_ named: NamedMap) throws {
    let x = randomScores(Double.self, rows: 4, n: 9, scale: 1.5, seed: 21)
    let v = randomScores(Double.self, rows: 4, n: 9, seed: 22)
    let p = try named.map.forward(x)
    let analytic = try named.map.backward(scores: x, output: p, outputGradient: v)
    let numeric = try finiteDifferenceGradient({ try named.map.forward($0) }, at: x, upstream: v)
    let check = discrepancy(analytic, numeric, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
    #expect(check.isWithinTolerance, "\(named): \(check)")
  }

  @Test func jacobianVectorProductOracle() throws {
    // Reference note: x = [−1, 0, 0.5], α = 1.33, v = [0.3, −1, 2] → Jv = [−0.0598, −0.8385, 0.8984].
    let x = Tensor<Double>(shape: [1, 3], scalars: [-1, 0, 0.5])
    let map = try Entmax(alpha: 1.33)
    let p = try map.forward(x)
    #expect(discrepancy(p.scalars, [0.0460, 0.3276, 0.6264], absoluteTolerance: 1e-4).isWithinTolerance)
    let jv = try map.backward(scores: x, output: p, outputGradient: Tensor(shape: [1, 3], scalars: [0.3, -1, 2]))
    #expect(discrepancy(jv.scalars, [-0.0598, -0.8385, 0.8984], absoluteTolerance: 1e-4).isWithinTolerance)
  }

  @Test func alphaGradient() throws {
    let x = Tensor<Double>(shape: [2, 3], scalars: [-1, 0, 0.5, 1, 2, 3.5])
    let map = try Entmax(alpha: 1.33)
    let p = try map.forward(x)
    let unit = Tensor<Double>(shape: [2, 3], scalars: [1, 0, 0, 0, 0, 0])
    // entmax README: ∂p[0,0]/∂α = −0.25617 at α = 1.33.
    #expect(abs(try map.alphaGradient(output: p, outputGradient: unit)[0] + 0.25617) < 1e-4)
    let v = randomScores(Double.self, rows: 2, n: 3, seed: 23)
    let alphas = [1.33, 2.2]
    let analytic = try Entmax(alphaPerRow: alphas).alphaGradient(
      output: try Entmax(alphaPerRow: alphas).forward(x), outputGradient: v)
    for row in 0..<2 {
      let step = 1e-6
      func objective(_ alpha: Double) throws -> Double {
        var perturbed = alphas
        perturbed[row] = alpha
        let q = try Entmax(alphaPerRow: perturbed).forward(x)
        return (0..<3).reduce(0) { $0 + v.scalars[row * 3 + $1] * q.scalars[row * 3 + $1] }
      }
      let numeric = (try objective(alphas[row] + step) - objective(alphas[row] - step)) / (2 * step)
      #expect(abs(analytic[row] - numeric) < 1e-6 + 1e-5 * abs(numeric), "row \(row): \(analytic[row]) vs \(numeric)")
    }
  }

  @Test func gumbelSoftmaxStraightThrough() throws {
    let x = randomScores(Double.self, rows: 3, n: 6, seed: 24)
    let soft = try GumbelSoftmax(temperature: 0.5)
    let hard = try GumbelSoftmax(temperature: 0.5, hard: true)
    var first = SeededGenerator(seed: 7)
    var second = SeededGenerator(seed: 7)
    let relaxed = try soft.sample(x, using: &first)
    let oneHot = try hard.sample(x, using: &second)
    #expect(relaxed.output == oneHot.relaxed, "the same seed gives the same noise")
    for row in 0..<3 {
      let slice = Array(relaxed.output.scalars[row * 6..<(row + 1) * 6])
      let best = slice.indices.max { slice[$0] < slice[$1] }!
      #expect(Array(oneHot.output.scalars[row * 6..<(row + 1) * 6]) == (0..<6).map { $0 == best ? 1 : 0 })
    }
    // The straight-through gradient is the gradient of ⟨v, relaxed(x)⟩ with the noise held fixed: central
    // differences of the relaxed sample, redrawn from the same seed at perturbed scores.
    let v = randomScores(Double.self, rows: 3, n: 6, seed: 25)
    let analytic = try hard.backward(sample: oneHot, outputGradient: v)
    let numeric = try finiteDifferenceGradient(
      { scores in
        var generator = SeededGenerator(seed: 7)
        return try hard.sample(scores, using: &generator).relaxed
      }, at: x, upstream: v)
    let check = discrepancy(analytic, numeric, absoluteTolerance: 1e-7, relativeTolerance: 1e-5)
    #expect(check.isWithinTolerance, "straight-through gradient: \(check)")
    #expect(analytic.scalars.contains { abs($0) > 1e-3 }, "the gradient is not trivially zero")
  }

  @Test func gumbelMaxSamplesFollowSoftmax() throws {
    let rows = 4000
    let logits: [Double] = [-1, 0.5, 1, -.infinity]
    let x = Tensor<Double>(shape: [rows, 4], scalars: Array((0..<rows).map { _ in logits }.joined()))
    var generator = SeededGenerator(seed: 99)
    let indices = try GumbelSoftmax.sampleIndices(x, using: &generator)
    let p = try Softmax.standard.forward(Tensor(shape: [1, 4], scalars: logits))
    for k in 0..<4 {
      let frequency = Double(indices.filter { $0 == k }.count) / Double(rows)
      // Binomial standard deviation is below 0.008 for 4000 draws; allow 4 of them.
      #expect(abs(frequency - p.scalars[k]) < 0.032, "class \(k): \(frequency) vs \(p.scalars[k])")
    }
    #expect(indices.allSatisfy { $0 != 3 })
    let masked = Tensor<Double>(shape: [1, 2], scalars: [-.infinity, -.infinity])
    #expect(try GumbelSoftmax.sampleIndices(masked, using: &generator) == [nil])
  }
}
