import Testing
import ProbabilityMaps
import TensorCore
import TestSupport

@Suite("Masking with -inf, all-masked rows and NaN")
struct MaskingTests {
  static let row: [Double] = [0.3, -.infinity, 1.2, -0.4, -.infinity, 0.9]
  static let kept: [Double] = [0.3, 1.2, -0.4, 0.9]

  @Test(arguments: allMaps)
  func maskedEntriesEqualDeletion(_ named: NamedMap) throws {
    let x = Tensor<Double>(shape: [1, 6], scalars: Self.row)
    let p = try named.map.forward(x)
    #expect(p.scalars[1] == 0 && p.scalars[4] == 0)
    let reference = try named.map.forward(Tensor<Double>(shape: [1, 4], scalars: Self.kept))
    let compacted = [p.scalars[0], p.scalars[2], p.scalars[3], p.scalars[5]]
    #expect(discrepancy(compacted, reference.scalars, absoluteTolerance: 1e-9).isWithinTolerance, "\(named)")
    let v = Tensor<Double>(shape: [1, 6], scalars: [1, 2, 3, 4, 5, 6])
    let gradient = try named.map.backward(scores: x, output: p, outputGradient: v)
    #expect(gradient.scalars.allSatisfy { !$0.isNaN } && gradient.scalars[1] == 0 && gradient.scalars[4] == 0)
  }

  @Test(arguments: allMaps + [NamedMap(name: "log-softmax", map: try! LogSoftmax())])
  func degenerateRowsStayInTheirRow(_ named: NamedMap) throws {
    let x = Tensor<Float>(
      shape: [3, 4], scalars: [-.infinity, -.infinity, -.infinity, -.infinity, 1, .nan, 0, 2, 0.5, 0, -1, 2])
    let p = try named.map.forward(x)
    let healthy = try named.map.forward(Tensor<Float>(shape: [1, 4], scalars: [0.5, 0, -1, 2]))
    #expect(Array(p.scalars[8..<12]) == healthy.scalars, "\(named): the valid row is unaffected")
    #expect(p.scalars[4..<8].allSatisfy { $0.isNaN }, "\(named): NaN propagates to its row")
    let masked = Array(p.scalars[0..<4])
    #expect(masked == [0, 0, 0, 0] || masked == [-.infinity, -.infinity, -.infinity, -.infinity], "\(named)")
    let gradient = try named.map.backward(scores: x, output: p, outputGradient: Tensor(repeating: 1, shape: [3, 4]))
    #expect(gradient.scalars[0..<4].allSatisfy { $0 == 0 }, "\(named): all-masked row has zero gradient")
    #expect(gradient.scalars[8..<12].allSatisfy { !$0.isNaN })
  }

  @Test func lossesWithMaskedScores() throws {
    let x = Tensor<Float>(shape: [2, 6], scalars: (Self.row + [-.infinity, 0, 0, 0, 0, 0]).map { Float($0) })
    for loss in [FenchelYoungLoss.crossEntropy, .entmax15, .sparsemax, try FenchelYoungLoss(alpha: 1.7)] {
      let result = try loss(x, targets: [2, 1])
      #expect(result.values.allSatisfy { $0.isFinite && $0 >= 0 }, "alpha \(loss.alpha): \(result.values)")
      #expect(result.gradient.scalars.allSatisfy { !$0.isNaN })
      #expect(result.gradient.scalars[1] == 0 && result.gradient.scalars[6] == 0)
      #expect(try loss(x, targets: [1, 1]).values[0] == .infinity)
    }
  }
}
