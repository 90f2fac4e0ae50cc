import NN
import TensorCore
import TestSupport
import Testing

/// Merging an adapter's update into a base weight, against the naive triple loop.
@Suite struct PEFTAdapterMergeTests {
  private static func randomFactors(rank: Int, inputs: Int, outputs: Int, seed: UInt64) throws -> LoRAFactors {
    var generator = SeededGenerator(seed: seed)
    return try LoRAFactors(
      a: .normal(shape: [rank, inputs], using: &generator), b: .normal(shape: [outputs, rank], using: &generator))
  }

  /// `W[o][i] + s·Σ_k B[o][k]·A[k][i]` (stored at `[i][o]` when `fanInFanOut`), in `Double`.
  private static func naiveMerge(_ weight: Tensor<Float>, _ f: LoRAFactors, scale: Double, fanInFanOut: Bool) -> Tensor<Double> {
    var merged = weight.converted(to: Double.self)
    for o in 0..<f.outputFeatures {
      for i in 0..<f.inputFeatures {
        var sum = 0.0
        for k in 0..<f.rank { sum += Double(f.b[o, k]) * Double(f.a[k, i]) }
        if fanInFanOut { merged[i, o] += scale * sum } else { merged[o, i] += scale * sum }
      }
    }
    return merged
  }

  @Test(arguments: [false, true])
  func mergingAddsTheScaledProductOrItsTranspose(fanInFanOut: Bool) throws {
    let (rank, inputs, outputs) = (3, 7, 5)
    let factors = try Self.randomFactors(rank: rank, inputs: inputs, outputs: outputs, seed: 7)
    var generator = SeededGenerator(seed: 8)
    let weight = Tensor<Float>.normal(shape: fanInFanOut ? [inputs, outputs] : [outputs, inputs], using: &generator)
    var merged = weight
    try addLoRAUpdate(factors, scale: 0.75, fanInFanOut: fanInFanOut, to: &merged, module: "m")
    let check = discrepancy(
      merged, Self.naiveMerge(weight, factors, scale: 0.75, fanInFanOut: fanInFanOut), absoluteTolerance: 1e-5,
      relativeTolerance: 1e-5)
    #expect(check.isWithinTolerance, "\(check)")
    try addLoRAUpdate(factors, scale: -0.75, fanInFanOut: fanInFanOut, to: &merged, module: "m")
    #expect(merged.maxAbsDifference(weight) < 1e-5)
  }

  @Test func aWeightOfAnotherShapeIsRefusedWithTheModuleNamed() throws {
    let factors = try Self.randomFactors(rank: 2, inputs: 4, outputs: 3, seed: 1)
    var square = Tensor<Float>(zeros: [4, 4])
    #expect(throws: LoRAError.shapeMismatch(module: "blocks.0.q", expected: [4, 4], a: [2, 4], b: [3, 2])) {
      try addLoRAUpdate(factors, scale: 1, to: &square, module: "blocks.0.q")
    }
    // `[out, in]` stored as `[in, out]` without fan_in_fan_out, and the reverse: the layer's shape is reported.
    var transposed = Tensor<Float>(zeros: [4, 3])
    #expect(throws: LoRAError.shapeMismatch(module: "c_attn", expected: [4, 3], a: [2, 4], b: [3, 2])) {
      try addLoRAUpdate(factors, scale: 1, fanInFanOut: false, to: &transposed, module: "c_attn")
    }
    var plain = Tensor<Float>(zeros: [3, 4])
    #expect(throws: LoRAError.shapeMismatch(module: "c_attn", expected: [4, 3], a: [2, 4], b: [3, 2])) {
      try addLoRAUpdate(factors, scale: 1, fanInFanOut: true, to: &plain, module: "c_attn")
    }
    #expect(plain == Tensor(zeros: [3, 4]))
  }

  @Test func anAdapterMergesEachModuleWithItsOwnScale() throws {
    var configuration = PEFTAdapterConfiguration(rank: 4, alpha: 8, targetModules: .modules(["q", "v"]), useRSLoRA: true)
    configuration.rankPattern = ["v": 1]
    let q = try Self.randomFactors(rank: 4, inputs: 3, outputs: 2, seed: 2)
    let v = try Self.randomFactors(rank: 1, inputs: 3, outputs: 2, seed: 3)
    let adapter = try PEFTAdapter(configuration: configuration, factors: ["l.q": q, "l.v": v])
    for (module, factors, scale) in [("l.q", q, 4.0), ("l.v", v, 8.0)] {
      var weight = Tensor<Float>(repeating: 1, shape: [2, 3])
      try adapter.merge(into: &weight, module: module)
      let expected = Self.naiveMerge(Tensor(repeating: 1, shape: [2, 3]), factors, scale: scale, fanInFanOut: false)
      #expect(discrepancy(weight, expected, absoluteTolerance: 1e-5).isWithinTolerance, "\(module)")
    }
    var weight = Tensor<Float>(zeros: [2, 3])
    #expect(throws: LoRAError.unknownModule("l.k")) { try adapter.merge(into: &weight, module: "l.k") }
  }
}
