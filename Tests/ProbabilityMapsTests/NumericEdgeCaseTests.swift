import ProbabilityMaps
import TensorCore
import TestSupport
import Testing

/// The documented behaviour of every map, loss and backward pass on NaN and infinite scores and gradients
/// (see the ProbabilityMaps article "Numerical behaviour").
@Suite("Probability maps: NaN and infinities in scores and gradients")
struct NumericEdgeCaseTests {
  static let maps = allMaps + [
    NamedMap(name: "log-softmax", map: try! LogSoftmax()), NamedMap(name: "entmax 1.0001", map: try! Entmax(alpha: 1.0001)),
    NamedMap(name: "entmax 50", map: try! Entmax(alpha: 50)),
  ]

  /// Rows of 37 scores (more than two Float vectors): a healthy one, one with a NaN, one with `+inf`, one
  /// all `-inf`, one with `-inf` mixed in.
  static func rows<S: ProbabilityScalar>(_ type: S.Type) -> Tensor<S> {
    let healthy = (0..<37).map { S(Double(($0 * 13) % 17) / 4 - 2) }
    var nan = healthy
    nan[20] = .nan
    var infinite = healthy
    infinite[36] = .infinity
    var masked = healthy
    for i in stride(from: 0, to: 37, by: 3) { masked[i] = -.infinity }
    let empty = [S](repeating: -.infinity, count: 37)
    return Tensor(shape: [5, 37], scalars: healthy + nan + infinite + empty + masked)
  }

  static func row<S>(_ tensor: Tensor<S>, _ index: Int) -> ArraySlice<S> { tensor.scalars[index * 37..<(index + 1) * 37] }

  static func checkForward<S: ProbabilityScalar>(_ named: NamedMap, _ type: S.Type) throws {
    let x = rows(S.self)
    let p = try named.map.forward(x)
    let isLog = named.map is LogSoftmax
    let alone = try named.map.forward(Tensor<S>(shape: [1, 37], scalars: Array(row(x, 0))))
    #expect(Array(row(p, 0)) == alone.scalars, "\(named): other rows do not leak into a healthy one")
    #expect(row(p, 1).allSatisfy { $0.isNaN }, "\(named): a NaN score makes its row NaN")
    #expect(row(p, 2).allSatisfy { $0.isNaN }, "\(named): a +inf score makes its row NaN")
    #expect(row(p, 3).allSatisfy { $0 == (isLog ? -.infinity : 0) }, "\(named): an all -inf row is all \(isLog ? "-inf" : "0")")
    let masked = row(p, 4)
    #expect(masked.allSatisfy { !$0.isNaN }, "\(named): masked scores never give NaN")
    for i in stride(from: 0, to: 37, by: 3) { #expect(masked[masked.startIndex + i] == (isLog ? -.infinity : 0)) }
  }

  @Test(arguments: maps)
  func forwardPolicy(_ named: NamedMap) throws {
    try Self.checkForward(named, Float.self)
    try Self.checkForward(named, Double.self)
  }

  @Test(arguments: maps)
  func backwardPolicy(_ named: NamedMap) throws {
    let x = Self.rows(Float.self)
    let p = try named.map.forward(x)
    var v = Tensor<Float>(shape: [5, 37], scalars: (0..<185).map { Float(($0 * 7) % 11) - 5 })
    let plain = try named.map.backward(scores: x, output: p, outputGradient: v)
    #expect(Self.row(plain, 1).allSatisfy { $0.isNaN } && Self.row(plain, 2).allSatisfy { $0.isNaN }, "\(named): NaN rows stay NaN")
    #expect(Self.row(plain, 3).allSatisfy { $0 == 0 }, "\(named): an all -inf row has gradient 0")
    #expect(Self.row(plain, 4).allSatisfy { $0.isFinite }, "\(named): masked scores have finite gradients")
    #expect(Self.row(plain, 0).allSatisfy { $0.isFinite })
    v.scalars[5] = .nan
    v.scalars[4 * 37 + 1] = .infinity
    let poisoned = try named.map.backward(scores: x, output: p, outputGradient: v)
    #expect(Self.row(poisoned, 0).allSatisfy { $0.isNaN }, "\(named): a NaN in the gradient makes its row NaN")
    #expect(Self.row(poisoned, 4).allSatisfy { $0.isNaN }, "\(named): an infinite gradient makes its row NaN")
    #expect(Self.row(poisoned, 3).allSatisfy { $0 == 0 } || named.map is LogSoftmax, "\(named)")
  }

  @Test func lossesOnNaNAndInfinity() throws {
    let x = Self.rows(Double.self)
    for loss in [FenchelYoungLoss.crossEntropy, .entmax15, .sparsemax, try FenchelYoungLoss(alpha: 1.7)] {
      let result = try loss(x, targets: [3, 3, 3, 3, 4])
      #expect(result.values[0].isFinite && result.values[0] >= 0, "alpha \(loss.alpha)")
      #expect(result.values[1].isNaN && result.values[2].isNaN, "alpha \(loss.alpha): NaN/+inf rows give NaN, not 0")
      #expect(result.values[3] == .infinity, "alpha \(loss.alpha): a masked target costs +inf")
      #expect(result.values[4].isFinite, "alpha \(loss.alpha)")
    }
    let margin = try MarginSoftmaxLoss(margin: 0.35, temperature: 1e-300)(x, targets: [3, 3, 3, 3, 4])
    #expect(margin.values[1].isNaN && margin.values[2].isNaN && margin.values[3] == .infinity)
    #expect(margin.values[0].isFinite && margin.values[4].isFinite, "T = 1e-300 is a legal temperature: \(margin.values)")
  }

  @Test func alphaGradientOnNaN() throws {
    let map = try Entmax(alpha: 1.4)
    let x = Tensor<Double>(shape: [2, 3], scalars: [-1, 0, 0.5, 1, 2, 3.5])
    let p = try map.forward(x)
    let v = Tensor<Double>(shape: [2, 3], scalars: [1, .nan, 0, 1, 0, 0])
    let dAlpha = try map.alphaGradient(output: p, outputGradient: v)
    #expect(dAlpha[0].isNaN && dAlpha[1].isFinite)
  }

  @Test func gumbelOnNaNAndHugeScores() throws {
    var generator = SeededGenerator(seed: 3)
    let sample = try GumbelSoftmax(temperature: 1e-30, hard: true).sample(Self.rows(Float.self), using: &generator)
    #expect(Self.row(sample.relaxed, 1).allSatisfy { $0.isNaN })
    #expect(Self.row(sample.output, 0).reduce(0, +) == 1, "a tiny temperature still gives a one-hot row")
    let huge = Tensor<Float>(shape: [1, 3], scalars: [3e38, -3e38, 0])
    let hard = try GumbelSoftmax(hard: true).sample(huge, using: &generator)
    #expect(hard.output.scalars == [1, 0, 0])
  }
}
