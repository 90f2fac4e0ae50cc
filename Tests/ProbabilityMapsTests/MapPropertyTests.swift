import Testing
import ProbabilityMaps
import TensorCore
import TestSupport

@Suite("Probability maps: values and properties")
struct MapPropertyTests {
  /// The README oracle `x = [−2, 0, 0.5]` (entmax package and the reference note).
  @Test func knownValues() throws {
    let x = Tensor<Double>(shape: [1, 3], scalars: [-2, 0, 0.5])
    let expected: [(any ProbabilityMap, [Double])] = [
      (Softmax.standard, [0.0486, 0.3592, 0.5922]),
      (Sparsemax(), [0, 0.25, 0.75]),
      (Entmax15(), [0, 0.3260, 0.6740]),
      (try Entmax(alpha: 1.25), [0.0053, 0.3521, 0.6426]),
      (try Entmax(alpha: 4), [0, 0, 1]),
      (TaylorSoftmax(), [0.2759, 0.2759, 0.4483]),
      (try TopKSoftmax(k: 2), [0, 0.3775, 0.6225]),
    ]
    for (map, values) in expected {
      let p = try map.forward(x)
      let check = discrepancy(p.scalars, values, absoluteTolerance: 1e-4)
      #expect(check.isWithinTolerance, "\(type(of: map)): \(check)")
    }
    let ramp = Tensor<Double>(shape: [1, 5], scalars: [0, 0.25, 0.5, 0.75, 1])
    #expect(
      discrepancy(try Entmax15().forward(ramp).scalars, [0.0259, 0.0817, 0.1688, 0.2871, 0.4366], absoluteTolerance: 1e-4)
        .isWithinTolerance)
    #expect(
      discrepancy(try Sparsemax().forward(ramp).scalars, [0, 0, 0.0833, 0.3333, 0.5833], absoluteTolerance: 1e-4)
        .isWithinTolerance)
  }

  @Test(arguments: allMaps)
  func rowsAreDistributions(_ named: NamedMap) throws {
    for (scale, seed) in [(0.01, 1), (1.0, 2), (30.0, 3)] as [(Double, UInt64)] {
      let x = randomScores(Float.self, rows: 5, n: 37, scale: scale, seed: seed)
      let p = try named.map.forward(x)
      for row in 0..<5 {
        let slice = p.scalars[row * 37..<(row + 1) * 37]
        #expect(slice.allSatisfy { $0 >= 0 }, "\(named) scale \(scale) row \(row) has a negative entry")
        #expect(abs(slice.reduce(0, +) - 1) < 1e-5, "\(named) scale \(scale) row \(row) sums to \(slice.reduce(0, +))")
      }
    }
  }

  @Test func softmaxMatchesNaiveFormula() throws {
    let x = randomScores(Float.self, rows: 6, n: 53, scale: 5, seed: 4)
    let p = try Softmax(temperature: 0.7).forward(x)
    var worst = 0.0
    for row in 0..<6 {
      let values = (0..<53).map { Double(x.scalars[row * 53 + $0]) / 0.7 }
      let top = values.max()!
      let total = values.reduce(0) { $0 + Double.exponential($1 - top) }
      for i in 0..<53 {
        let reference = Double.exponential(values[i] - top) / total
        worst = max(worst, abs(Double(p.scalars[row * 53 + i]) - reference) / reference)
      }
    }
    #expect(worst < 1e-5, "worst relative error of the fast Float softmax: \(worst)")
    let logP = try LogSoftmax(temperature: 0.7).forward(x)
    #expect(discrepancy(logP.map { Float.exponential($0) }, p, absoluteTolerance: 1e-6).isWithinTolerance)
  }

  @Test func sparseMapsAgreeWithBisection() throws {
    for (scale, seed) in [(1e-3, 5), (0.5, 6), (1.0, 7), (20.0, 8), (1e3, 9)] as [(Double, UInt64)] {
      let x = randomScores(Double.self, rows: 6, n: 40, scale: scale, seed: seed)
      let sparse = try Sparsemax().forward(x)
      let bisected2 = try Entmax(alpha: 2).forward(x)
      let check2 = discrepancy(sparse, bisected2, absoluteTolerance: 1e-6)
      #expect(check2.isWithinTolerance, "sparsemax vs bisection at scale \(scale): \(check2)")
      let entmax15 = try Entmax15().forward(x)
      let check15 = discrepancy(entmax15, try Entmax(alpha: 1.5).forward(x), absoluteTolerance: 1e-6)
      #expect(check15.isWithinTolerance, "1.5-entmax vs bisection at scale \(scale): \(check15)")
      for row in 0..<6 {
        let reference = sortedSparsemax(Array(x.scalars[row * 40..<(row + 1) * 40]))
        #expect(discrepancy(sparse.scalars[row * 40..<(row + 1) * 40], reference, absoluteTolerance: 1e-12)
          .isWithinTolerance)
      }
    }
  }

  @Test func alphaLimits() throws {
    let x = randomScores(Double.self, rows: 4, n: 25, scale: 2, seed: 10)
    let softmax = try Softmax.standard.forward(x)
    #expect(try Entmax(alpha: 1).forward(x) == softmax)
    var previous = Double.infinity
    for alpha in [1.1, 1.01, 1.001] {
      let distance = try Entmax(alpha: alpha).forward(x).maxAbsDifference(softmax)
      #expect(distance < previous, "alpha \(alpha): distance to softmax \(distance) did not shrink")
      previous = distance
    }
    #expect(previous < 2e-3)
    let perRow = try Entmax(alphaPerRow: [1, 1.5, 2, 3]).forward(x)
    let rows: [any ProbabilityMap] = [Softmax.standard, Entmax15(), Sparsemax(), try Entmax(alpha: 3)]
    for (row, map) in rows.enumerated() {
      let single = try map.forward(x).scalars[row * 25..<(row + 1) * 25]
      #expect(discrepancy(perRow.scalars[row * 25..<(row + 1) * 25], single, absoluteTolerance: 1e-9)
        .isWithinTolerance, "row \(row)")
    }
  }

  @Test(arguments: allMaps.filter { $0.name != "taylor" })
  func translationInvariance(_ named: NamedMap) throws {
    let x = randomScores(Double.self, rows: 3, n: 21, scale: 1.5, seed: 11)
    let shifted = x.map { $0 + 3.75 }
    let check = discrepancy(try named.map.forward(shifted), try named.map.forward(x), absoluteTolerance: 1e-9)
    #expect(check.isWithinTolerance, "\(named): \(check)")
  }

  @Test func taylorSoftmaxIsNotTranslationInvariant() throws {
    let x = Tensor<Double>(shape: [1, 3], scalars: [-2, 0, 0.5])
    #expect(try TaylorSoftmax().forward(x).maxAbsDifference(try TaylorSoftmax().forward(x.map { $0 + 1 })) > 0.01)
  }

  @Test func supportSizeShrinksWithAlphaAndScale() throws {
    let x = randomScores(Double.self, rows: 1, n: 200, scale: 1, seed: 12)
    func support(_ map: any ProbabilityMap, _ scores: Tensor<Double>) throws -> Int {
      try map.forward(scores).scalars.filter { $0 > 0 }.count
    }
    let sizes = try [1.25, 1.5, 2, 3].map { try support(Entmax(alpha: $0), x) }
    #expect(sizes == sizes.sorted(by: >) && sizes.first! > sizes.last!, "support sizes \(sizes)")
    #expect(try support(Sparsemax(), x.map { $0 * 10 }) < support(Sparsemax(), x))
    #expect(try support(TopKSoftmax(k: 7), x) == 7)
  }

  @Test func invalidParametersAndShapesThrow() throws {
    #expect(throws: ProbabilityMapError.self) { try Softmax(temperature: 0) }
    #expect(throws: ProbabilityMapError.self) { try Entmax(alpha: 0.5) }
    #expect(throws: ProbabilityMapError.self) { try Entmax(alpha: .nan) }
    #expect(throws: ProbabilityMapError.self) { try TopKSoftmax(k: 0) }
    #expect(throws: ProbabilityMapError.self) { try MarginSoftmaxLoss(margin: -1, temperature: 1) }
    let x = Tensor<Float>(zeros: [2, 3])
    #expect(throws: ProbabilityMapError.self) { try Entmax(alphaPerRow: [1.5, 2, 3]).forward(x) }
    #expect(throws: ProbabilityMapError.self) {
      try Sparsemax().backward(scores: x, output: x, outputGradient: Tensor<Float>(zeros: [3, 2]))
    }
    #expect(throws: ProbabilityMapError.self) { try Sparsemax().forward(Tensor<Float>(zeros: [2, 0])) }
    #expect(throws: ProbabilityMapError.self) { try FenchelYoungLoss.sparsemax(x, targets: [0, 3]) }
  }
}
