import Testing
import ProbabilityMaps
import TensorCore
import TestSupport

@Suite("Fenchel-Young and margin losses")
struct LossTests {
  /// Reference note, §6: losses and gradients at `x = [−2, 0, 0.5]` for targets 2 and 0.
  @Test func knownValues() throws {
    let x = Tensor<Double>(shape: [2, 3], scalars: [-2, 0, 0.5, -2, 0, 0.5])
    let cases: [(FenchelYoungLoss, [Double], [Double])] = [
      (.crossEntropy, [0.523909, 3.023909], [0.0486, 0.3592, -0.4078, -0.9514, 0.3592, 0.5922]),
      (.entmax15, [0.184371, 2.684371], [0, 0.326, -0.326, -1, 0.326, 0.674]),
      (.sparsemax, [0.0625, 2.5625], [0, 0.25, -0.25, -1, 0.25, 0.75]),
      (try FenchelYoungLoss(alpha: 2), [0.0625, 2.5625], [0, 0.25, -0.25, -1, 0.25, 0.75]),
    ]
    for (loss, values, gradient) in cases {
      let result = try loss(x, targets: [2, 0])
      #expect(discrepancy(result.values, values, absoluteTolerance: 1e-5).isWithinTolerance, "alpha \(loss.alpha)")
      #expect(discrepancy(result.gradient.scalars, gradient, absoluteTolerance: 1e-3).isWithinTolerance)
    }
  }

  @Test(arguments: [1.0, 1.25, 1.5, 2, 3])
  func gradientMatchesFiniteDifferences(alpha: Double) throws {
    let loss = try FenchelYoungLoss(alpha: alpha)
    let x = randomScores(Double.self, rows: 3, n: 7, scale: 1.5, seed: 31)
    let targets = [0, 3, 6]
    let result = try loss(x, targets: targets)
    #expect(result.values.allSatisfy { $0 >= 0 })
    let ones = Tensor<Double>(repeating: 1, shape: [3, 1])
    let numeric = try finiteDifferenceGradient(
      { Tensor(shape: [3, 1], scalars: try loss($0, targets: targets).values) }, at: x, upstream: ones)
    let check = discrepancy(result.gradient, numeric, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
    #expect(check.isWithinTolerance, "alpha \(alpha): \(check)")
  }

  @Test func sparsemaxLossIsZeroBeyondTheMargin() throws {
    let x = Tensor<Double>(shape: [1, 3], scalars: [0, 1.0001, 0])
    #expect(try FenchelYoungLoss.sparsemax(x, targets: [1]).values == [0])
    #expect(try FenchelYoungLoss.sparsemax(x, targets: [0]).values[0] > 1)
  }

  @Test func marginSoftmaxLoss() throws {
    let loss = try MarginSoftmaxLoss(margin: 0.35, temperature: 0.1)
    let x = randomScores(Double.self, rows: 2, n: 5, scale: 0.4, seed: 32).map { max(-1, min(1, $0)) }
    let targets = [4, 1]
    let result = try loss(x, targets: targets)
    for (row, target) in targets.enumerated() {
      let z = (0..<5).map { (x.scalars[row * 5 + $0] - ($0 == target ? 0.35 : 0)) / 0.1 }
      let naive = -Double.logarithm(Double.exponential(z[target]) / z.reduce(0) { $0 + Double.exponential($1) })
      #expect(abs(result.values[row] - naive) < 1e-10)
    }
    let ones = Tensor<Double>(repeating: 1, shape: [2, 1])
    let numeric = try finiteDifferenceGradient(
      { Tensor(shape: [2, 1], scalars: try loss($0, targets: targets).values) }, at: x, upstream: ones)
    #expect(discrepancy(result.gradient, numeric, absoluteTolerance: 1e-5, relativeTolerance: 1e-5).isWithinTolerance)
  }
}
