import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// Mean cross-entropy by a naive log-sum-exp in Double over the rows whose target is not `ignore`.
private func referenceLoss(_ z: [Double], _ targets: [Int32], vocabulary: Int, ignore: Int32) -> Double {
  var total = 0.0
  var counted = 0
  for (i, t) in targets.enumerated() where t != ignore {
    let row = z[i * vocabulary..<(i + 1) * vocabulary]
    total += log(row.reduce(0) { $0 + exp($1) }) - row[row.startIndex + Int(t)]
    counted += 1
  }
  return total / Double(counted)
}

@Suite("Fused log-softmax cross-entropy")
struct CrossEntropyTests {
  @Test func lossAndGradientAgainstNaiveLogSumExp() throws {
    let (rows, vocabulary) = (5, 7)
    let targets: [Int32] = [3, -100, 0, 6, 3]
    let z = samples(rows * vocabulary, seed: 1, scale: 3)
    let m = Matrices()
    let (logits, gradient) = (m.make(rows, vocabulary, z), m.make(rows, vocabulary))
    let result = try targets.withUnsafeBufferPointer {
      try CrossEntropy().evaluate(logits: logits.readOnly, targets: $0, logitsGradient: gradient, workspace: Workspace())
    }
    let reference = referenceLoss(z, targets, vocabulary: vocabulary, ignore: -100)
    #expect(result.countedTokens == 4)
    #expect(abs(result.loss - reference) < 1e-6 * reference, "loss \(result.loss) vs \(reference)")
    let fd = finiteDifferenceGradient(of: { referenceLoss($0, targets, vocabulary: vocabulary, ignore: -100) }, at: z)
    expectClose(gradient.elements, fd, tolerance: 1e-6, "dz")
    #expect((0..<vocabulary).allSatisfy { gradient[1, $0] == 0 }, "an ignored row has no gradient")

    // In place over the logits, with a scale for accumulation: the same gradient, halved.
    let inPlace = m.make(rows, vocabulary, z)
    _ = try targets.withUnsafeBufferPointer {
      try CrossEntropy().evaluate(
        logits: inPlace.readOnly, targets: $0, logitsGradient: inPlace, gradientScale: 0.5, workspace: Workspace())
    }
    expectClose(inPlace.elements, fd.map { $0 / 2 }, tolerance: 1e-6, "in place, scaled")
  }

  @Test func extremeLogitsStayFinite() throws {
    let m = Matrices()
    let logits = m.make(2, 3, [1000, -1000, 0, -80, -90, -100])
    let result = try [Int32(1), 0].withUnsafeBufferPointer {
      try CrossEntropy().evaluate(logits: logits.readOnly, targets: $0, logitsGradient: nil, workspace: Workspace())
    }
    // Row 0: logsumexp = 1000 exactly in Float, loss 2000; row 1: 10 − log(1 + e⁻¹⁰ + e⁻²⁰) ≈ −(−80) + ...
    let row1 = -80 + log(1 + exp(-10.0) + exp(-20.0)) - -80
    #expect(abs(result.loss - (2000 + row1) / 2) < 1e-3)
  }

  @Test func targetsOutsideTheVocabularyAreErrors() {
    let m = Matrices()
    #expect(throws: TrainingError.tokenOutOfRange(layer: "CrossEntropy", position: 1, token: 3, vocabularySize: 3)) {
      try [Int32(0), 3].withUnsafeBufferPointer {
        try CrossEntropy().evaluate(logits: m.make(2, 3).readOnly, targets: $0, logitsGradient: nil, workspace: Workspace())
      }
    }
    let allIgnored = try? [Int32(-100)].withUnsafeBufferPointer {
      try CrossEntropy().evaluate(logits: m.make(1, 3).readOnly, targets: $0, logitsGradient: nil, workspace: Workspace())
    }
    #expect(allIgnored == CrossEntropy.Result(loss: 0, countedTokens: 0))
  }
}
