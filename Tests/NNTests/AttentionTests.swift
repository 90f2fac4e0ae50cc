import Foundation
import NN
import ProbabilityMaps
import TensorCore
import TestSupport
import Testing

/// The normalizers under test, by name, with a Double reference of each on one masked row set.
private enum Normalizer: String, CaseIterable {
  case softmax, entmax15, sparsemax, entmax13

  var map: any ProbabilityMap {
    switch self {
    case .softmax: return Softmax.standard
    case .entmax15: return Entmax15()
    case .sparsemax: return Sparsemax()
    case .entmax13: return try! Entmax(alpha: 1.3)
    }
  }

  /// The normalized rows of a `t × t` score matrix in Double; softmax written out, the sparse maps through
  /// their Double implementations (the wiring around them is what this suite tests).
  func reference(_ scores: [Double], t: Int) -> [Double] {
    if self == .softmax {
      var p = scores
      for i in 0..<t {
        let row = scores[i * t..<(i + 1) * t].filter { $0 > -.infinity }
        let m = row.max()!
        let z = row.reduce(0) { $0 + exp($1 - m) }
        for j in 0..<t { p[i * t + j] = j <= i ? exp(scores[i * t + j] - m) / z : 0 }
      }
      return p
    }
    return try! map.forward(Tensor<Double>(shape: [t, t], scalars: scores)).scalars
  }
}

/// Causal multi-head attention over a packed `B·T × 3C` matrix, naive loops in Double.
private func referenceAttention(
  _ qkv: [Double], batch: Int, t: Int, heads: Int, d: Int, _ normalizer: Normalizer
) -> [Double] {
  let c = heads * d
  var out = [Double](repeating: 0, count: batch * t * c)
  for b in 0..<batch {
    for h in 0..<heads {
      func at(_ row: Int, _ part: Int, _ k: Int) -> Double { qkv[(b * t + row) * 3 * c + part * c + h * d + k] }
      var scores = [Double](repeating: -.infinity, count: t * t)
      for i in 0..<t {
        for j in 0...i {
          scores[i * t + j] = (0..<d).reduce(0) { $0 + at(i, 0, $1) * at(j, 1, $1) } / Double(d).squareRoot()
        }
      }
      let p = normalizer.reference(scores, t: t)
      for i in 0..<t {
        for k in 0..<d { out[(b * t + i) * c + h * d + k] = (0..<t).reduce(0) { $0 + p[i * t + $1] * at($1, 2, k) } }
      }
    }
  }
  return out
}

@Suite("Causal self-attention with every normalizer")
struct AttentionTests {
  let batch = 2
  let t = 4
  let heads = 2
  let d = 3

  @Test(arguments: Normalizer.allCases)
  fileprivate func forwardAndBackwardAgainstFiniteDifferences(_ normalizer: Normalizer) throws {
    let c = heads * d
    let attention = try CausalSelfAttention("attn", width: c, heads: heads, normalizer: normalizer.map)
    let qkv = samples(batch * t * 3 * c, seed: 11, scale: 1.5)
    let dy = samples(batch * t * c, seed: 12)
    let m = Matrices()
    let (x, y, dx) = (m.make(batch * t, 3 * c, qkv), m.make(batch * t, c), m.make(batch * t, 3 * c))
    let workspace = Workspace()
    let record = try attention.forward(qkv: x.readOnly, batch: batch, sequenceLength: t, into: y, workspace: workspace)
    expectClose(y.elements, referenceAttention(qkv, batch: batch, t: t, heads: heads, d: d, normalizer), tolerance: 1e-5, "output")
    // Causality: probabilities above the diagonal are exactly zero.
    for row in 0..<(batch * heads * t) {
      for j in (row % t + 1)..<t { #expect(record.probabilities[row * t + j] == 0) }
    }
    try attention.backward(
      qkv: x.readOnly, record: record, outputGradient: m.make(batch * t, c, dy).readOnly,
      qkvGradient: .overwrite(dx), workspace: workspace)
    let fd = finiteDifferenceGradient(
      of: { weightedSum(referenceAttention($0, batch: self.batch, t: self.t, heads: self.heads, d: self.d, normalizer), dy) },
      at: qkv)
    expectClose(dx.elements, fd, tolerance: 1e-4, "\(normalizer) dqkv")
  }

  @Test func configurationErrors() {
    #expect(throws: TrainingError.headsDoNotDivideWidth(layer: "attn", heads: 3, width: 8)) {
      try CausalSelfAttention("attn", width: 8, heads: 3)
    }
    #expect(throws: TrainingError.oddSize(layer: "RotaryPositions", name: "headSize", value: 5)) {
      try RotaryPositions(headSize: 5, maximumLength: 8)
    }
  }

  @Test func rotaryPositionsRotateByRelativePosition() throws {
    let headSize = 8
    let rotary = try RotaryPositions(headSize: headSize, maximumLength: 16)
    let (q, k) = (samples(headSize, seed: 1), samples(headSize, seed: 2))
    let m = Matrices()
    // Sixteen positions of the same query and key; q at position i · k at position j depends on i − j only.
    let (qs, ks) = (m.make(16, headSize, Array((0..<16).map { _ in q }.joined())), m.make(16, headSize, Array((0..<16).map { _ in k }.joined())))
    try rotary.apply(to: qs, sequenceLength: 16)
    try rotary.apply(to: ks, sequenceLength: 16)
    func dot(_ i: Int, _ j: Int) -> Double { (0..<headSize).reduce(0) { $0 + Double(qs[i, $1]) * Double(ks[j, $1]) } }
    #expect(abs(dot(5, 2) - dot(12, 9)) < 1e-5 && abs(dot(3, 3) - dot(0, 0)) < 1e-5)
    #expect(abs(dot(0, 0) - zip(q, k).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-5, "position 0 is not rotated")
    // Position 1, pair 0 turns by exactly 1 radian (θ₀ = 1).
    #expect(abs(Double(qs[1, 0]) - (q[0] * cos(1) - q[4] * sin(1))) < 1e-6)
    // The backward is the inverse rotation: rotating back recovers the input.
    try rotary.applyBackward(to: qs, sequenceLength: 16)
    expectClose(qs.elements, Array((0..<16).map { _ in q }.joined()), tolerance: 1e-6, "inverse")
    #expect(throws: TrainingError.sequenceTooLong(layer: "RotaryPositions", length: 17, maximum: 16)) {
      try rotary.apply(to: m.make(17, headSize), sequenceLength: 17)
    }
  }

  @Test func learnedPositionsAddAndAccumulate() throws {
    var layout = ParameterLayout()
    let positions = try LearnedPositions("wpe", maximumLength: 4, features: 2, layout: &layout)
    let store = try ParameterStore(layout: layout)
    store.set(positions.weight, [1, 2, 3, 4, 5, 6, 7, 8])
    let m = Matrices()
    let hidden = m.make(6, 2)  // two sequences of three
    try positions.add(to: hidden, sequenceLength: 3, parameters: store)
    #expect(hidden.elements == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
    try positions.backward(
      outputGradient: m.make(6, 2, [1, 1, 2, 2, 3, 3, 10, 10, 20, 20, 30, 30]).readOnly, sequenceLength: 3,
      parameters: store)
    #expect(Array(store.gradient(positions.weight)) == [11, 11, 22, 22, 33, 33, 0, 0])
  }
}
