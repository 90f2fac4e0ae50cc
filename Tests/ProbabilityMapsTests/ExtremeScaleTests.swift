import ProbabilityMaps
import TensorCore
import TestSupport
import Testing

/// A map with its independent `Float80` reference.
struct ReferencedMap: CustomStringConvertible, Sendable {
  let name: String
  let map: any ProbabilityMap
  /// The reference output of one row.
  let reference: @Sendable ([Float80]) -> [Float80]
  /// Whether outputs are logarithms (compared with a relative tolerance on their size).
  var logarithmic = false
  var description: String { name }
}

/// Every deterministic map, including the shift form (`α − 1 < 1/64`) and the boundary form of α-entmax.
let referencedMaps: [ReferencedMap] = [
  ReferencedMap(name: "softmax", map: Softmax.standard, reference: { Reference.softmax($0) }),
  ReferencedMap(name: "softmax T=0.5", map: try! Softmax(temperature: 0.5), reference: { Reference.softmax($0, temperature: 0.5) }),
  ReferencedMap(
    name: "log-softmax T=3", map: try! LogSoftmax(temperature: 3), reference: { Reference.logSoftmax($0, temperature: 3) },
    logarithmic: true),
  ReferencedMap(name: "taylor", map: TaylorSoftmax(), reference: { Reference.taylor($0) }),
  ReferencedMap(name: "top-3", map: try! TopKSoftmax(k: 3), reference: { Reference.topK($0, k: 3) }),
  ReferencedMap(name: "sparsemax", map: Sparsemax(), reference: { Reference.sparsemax($0) }),
  ReferencedMap(name: "entmax15", map: Entmax15(), reference: { Reference.entmax($0, alpha: 1.5) }),
  ReferencedMap(name: "entmax 1.001", map: try! Entmax(alpha: 1.001), reference: { Reference.entmax($0, alpha: 1.001) }),
  ReferencedMap(name: "entmax 1.25", map: try! Entmax(alpha: 1.25), reference: { Reference.entmax($0, alpha: 1.25) }),
  ReferencedMap(name: "entmax 1.75", map: try! Entmax(alpha: 1.75), reference: { Reference.entmax($0, alpha: 1.75) }),
  ReferencedMap(name: "entmax 3", map: try! Entmax(alpha: 3), reference: { Reference.entmax($0, alpha: 3) }),
]

/// Rows at one scale: a random row `scale·N(0, 1)` for every length (below one vector, several vectors, not
/// a multiple of 8 or 16) and, from length 5 on, a row with ties at the maximum and a masked entry.
func scaledRows(scale: Double, seed: UInt64) -> [[Double]] {
  var generator = SeededGenerator(seed: seed)
  var rows: [[Double]] = []
  for n in [1, 2, 5, 16, 37, 100, 257] {
    rows.append(Tensor<Double>.normal(shape: [n], standardDeviation: scale, using: &generator).scalars)
    if n >= 5 {
      var tied = (0..<n).map { Double(($0 * 7) % 5) * 0.25 * scale }
      tied[n / 2] = -.infinity
      rows.append(tied)
    }
  }
  return rows
}

@Suite("Probability maps at every scale a float can hold, against Float80 references")
struct ExtremeScaleTests {
  static let floatScales = [1e-30, 1e-15, 1e-5, 1, 1e5, 1e15, 1e30, 1e37]
  static let doubleScales = [1e-300, 1e-150, 1e-30, 1, 1e30, 1e150, 1e300]

  static func check<S: ProbabilityScalar>(
    _ named: ReferencedMap, rows: [[S]], absolute: Double, relative: Double, context: String
  ) throws {
    for row in rows {
      let p = try named.map.forward(Tensor<S>(shape: [1, row.count], scalars: row)).scalars
      let reference = named.reference(row.extended)
      #expect(p.count == reference.count)
      let check =
        named.logarithmic
        ? discrepancy(p, reference, absoluteTolerance: absolute * 10, relativeTolerance: relative)
        : discrepancy(p, reference, absoluteTolerance: absolute, relativeTolerance: relative)
      #expect(check.isWithinTolerance, "\(named) \(context) n = \(row.count): \(check)")
    }
  }

  @Test(arguments: referencedMaps)
  func floatRows(_ named: ReferencedMap) throws {
    for (index, scale) in Self.floatScales.enumerated() {
      let rows = scaledRows(scale: scale, seed: 100 + UInt64(index)).map { $0.map { Float($0) } }
      try Self.check(named, rows: rows, absolute: 3e-6, relative: 2e-5, context: "Float scale \(scale)")
    }
    let extremes: [[Float]] = [
      [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .greatestFiniteMagnitude / 2, 0],
      [.greatestFiniteMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude],
      [.leastNonzeroMagnitude, 0, -.leastNonzeroMagnitude], [5e7, 0], [5e7],
    ]
    try Self.check(named, rows: extremes, absolute: 3e-6, relative: 2e-5, context: "Float extremes")
  }

  @Test(arguments: referencedMaps)
  func doubleRows(_ named: ReferencedMap) throws {
    for (index, scale) in Self.doubleScales.enumerated() {
      let rows = scaledRows(scale: scale, seed: 200 + UInt64(index))
      try Self.check(named, rows: rows, absolute: 1e-12, relative: 1e-10, context: "Double scale \(scale)")
    }
    let extremes: [[Double]] = [
      [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .greatestFiniteMagnitude / 2, 0],
      [.leastNonzeroMagnitude, 0, -.leastNonzeroMagnitude], [3e16, 0], [3e16], [1, 1 + 1e-12, 1 - 1e-12, 1],
    ]
    try Self.check(named, rows: extremes, absolute: 1e-12, relative: 1e-10, context: "Double extremes")
  }

  /// `float [[5e7, 0]]` gave `[[0, 0]]` and double rows from about 2e16 likewise (issue 8).
  @Test func entmax15KeepsTheMaximumOfHugeRows() throws {
    #expect(try Entmax15().forward(Tensor<Float>(shape: [1, 2], scalars: [5e7, 0])).scalars == [1, 0])
    #expect(try Entmax15().forward(Tensor<Float>(shape: [1, 1], scalars: [5e7])).scalars == [1])
    #expect(try Entmax15().forward(Tensor<Double>(shape: [1, 2], scalars: [3e16, 0])).scalars == [1, 0])
  }

  /// Temperatures whose inverse is 0 or `inf` in the element type give uniform rows over the unmasked
  /// scores and uniform rows over the maxima, never NaN; the backward keeps exact zeros.
  @Test func temperaturesAtTheEndsOfTheRange() throws {
    let row: [Double] = [0.5, 2, -.infinity, 2, -1, 0, 1, 0.25, 2, 1.5, -3, 0.75, 0.1, 0.2, 0.3, 0.4, 0.6]
    let finite = row.filter { $0 > -.infinity }.count
    let uniform = row.map { $0 > -.infinity ? 1 / Double(finite) : 0 }
    let argmax = row.map { $0 == 2 ? 1.0 / 3 : 0 }
    for (temperature, expected) in [(1e300, uniform), (1e-300, argmax)] {
      for map in [try Softmax(temperature: temperature), try TopKSoftmax(k: 20, temperature: temperature)] as [any ProbabilityMap] {
        let input = Tensor<Float>(shape: [1, row.count], scalars: row.map { Float($0) })
        let float = try map.forward(input)
        #expect(discrepancy(float.scalars, expected, absoluteTolerance: 1e-7).isWithinTolerance, "T = \(temperature): \(float.scalars)")
        let double = try map.forward(Tensor<Double>(shape: [1, row.count], scalars: row))
        #expect(discrepancy(double.scalars, expected, absoluteTolerance: 1e-15).isWithinTolerance, "T = \(temperature)")
        let gradient = try map.backward(
          scores: input, output: float, outputGradient: Tensor<Float>(shape: [1, row.count], scalars: row.indices.map { Float($0) }))
        #expect(!gradient.scalars.contains { $0.isNaN }, "T = \(temperature): \(gradient.scalars)")
      }
      let logP = try LogSoftmax(temperature: temperature).forward(Tensor<Float>(shape: [1, row.count], scalars: row.map { Float($0) }))
      let logExpected = expected.map { $0 > 0 ? Double(Reference.log(Float80($0))) : -.infinity }
      #expect(discrepancy(logP.scalars, logExpected, absoluteTolerance: 1e-6).isWithinTolerance, "T = \(temperature): \(logP.scalars)")
    }
  }

  /// Large `α` on nearly equal scores: `x = [1, 1 + δ, 1]` at `α = 50` has `p = [q, 1 − 2q, q]` with
  /// `(1 − 2q)^49 − q^49 = 49δ` (the difference of the bases), solved here by bisection on `q`.
  @Test func largeAlphaOnNearlyEqualScores() throws {
    let top = 1 + 1e-7
    let delta = Float80(top - 1)
    var (low, high): (Float80, Float80) = (0, 1.0 / 3)
    for _ in 0..<200 {
      let q = (low + high) / 2
      let residual = Reference.power(1 - 2 * q, 49) - Reference.power(q, 49) - 49 * delta
      if residual > 0 { low = q } else { high = q }
    }
    let q = Double(low)
    let p = try Entmax(alpha: 50).forward(Tensor<Double>(shape: [1, 3], scalars: [1, top, 1])).scalars
    #expect(discrepancy(p, [q, 1 - 2 * q, q], absoluteTolerance: 1e-13).isWithinTolerance, "\(p) vs q = \(q)")
    // Ties at α = 10⁶: p_m = 2^{-1} needs bases of 2^{-10⁶}, far below Double's range.
    let ties = try Entmax(alpha: 1e6).forward(Tensor<Double>(shape: [2, 3], scalars: [1, 1, 0, 4, 4, 4])).scalars
    #expect(discrepancy(ties, [0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3], absoluteTolerance: 1e-15).isWithinTolerance, "\(ties)")
  }

  /// `α` just above 1 is not softmax at large scores (`p` differs by about `(α−1)x²`), and it is exact:
  /// the old rule (softmax for `α − 1 ≤ 10⁻⁶`) missed it by 1e-5, bisection lost it to cancellation.
  @Test func alphaJustAboveOne() throws {
    for alpha in [1 + 1e-9, 1 + 1e-6, 1.0001] {
      for (index, scale) in [1e-3, 1.0, 30].enumerated() {
        let rows = scaledRows(scale: scale, seed: 300 + UInt64(index))
        let map = try Entmax(alpha: alpha)
        for row in rows {
          let p = try map.forward(Tensor<Double>(shape: [1, row.count], scalars: row)).scalars
          let reference = Reference.entmax(row.extended, alpha: Float80(alpha))
          let check = discrepancy(p, reference, absoluteTolerance: 1e-12, relativeTolerance: 1e-9)
          #expect(check.isWithinTolerance, "alpha \(alpha) scale \(scale) n = \(row.count): \(check)")
        }
      }
    }
  }

  /// The entmax-family backward at large `α`, where `p^{2−α}` overflows: against the `Float80` formula.
  @Test func entmaxBackwardAtLargeAlpha() throws {
    let x = Tensor<Double>(shape: [1, 5], scalars: [1, 1 + 1e-7, 1, 0.9999999, 0])
    let v = Tensor<Double>(shape: [1, 5], scalars: [0.3, -1, 2, 0.5, 4])
    for alpha in [3.0, 50, 400] {
      let map = try Entmax(alpha: alpha)
      let p = try map.forward(x)
      let gradient = try map.backward(scores: x, output: p, outputGradient: v).scalars
      let reference = Reference.familyBackward(p.scalars.extended, gradient: v.scalars.extended, alpha: Float80(alpha))
      let check = discrepancy(gradient, reference, absoluteTolerance: 0, relativeTolerance: 1e-9)
      #expect(check.isWithinTolerance, "alpha \(alpha): \(gradient) vs \(reference)")
    }
  }
}
