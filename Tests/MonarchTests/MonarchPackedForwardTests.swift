import Foundation
import TensorCore
import TestSupport
import Testing

@testable import Monarch

@Suite("Monarch packed forward: cache shared by copies, never stale, safe concurrently; outputs; tail blocks")
struct MonarchPackedForwardTests {
  let layout: MonarchLayout

  init() throws {
    layout = try MonarchLayout(inFeatures: 256, outFeatures: 256, blocks: 16)
  }

  @Test func copiesShareOnePackingAndGiveIdenticalResults() throws {
    var generator = SeededGenerator(seed: 41)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let x = Tensor<Float>.normal(shape: [40, 256], using: &generator)
    let first = try m.multiply(x)
    let copy = m
    #expect(copy.packedForward.packed(for: copy) === m.packedForward.packed(for: m))
    #expect(try copy.multiply(x) == first)
    #expect(copy == m)
    let check = discrepancy(first, referenceMultiply(x, m), absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func packedFactorsAreCacheLineAligned() throws {
    var generator = SeededGenerator(seed: 42)
    let packed = MonarchMatrix<Float>.random(layout: layout, using: &generator).withFactorsView { PackedForward($0) }
    #expect(Int(bitPattern: packed.w1t) % PackedForward.alignment == 0)
    #expect(Int(bitPattern: packed.w2p) % PackedForward.alignment == 0)
  }

  @Test func aMatrixWithChangedFactorsIsPackedAfresh() throws {
    var generator = SeededGenerator(seed: 43)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let x = Tensor<Float>.normal(shape: [9, 256], using: &generator)
    let before = try m.multiply(x)
    var w2 = m.w2
    w2.scalars[5] += 1
    let changed = try MonarchMatrix(layout: layout, w1: m.w1, w2: w2)
    #expect(changed != m)
    let after = try changed.multiply(x)
    #expect(after != before)
    let check = discrepancy(after, referenceMultiply(x, changed), absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
    #expect(check.isWithinTolerance, "\(check)")
    // A layer whose weight is replaced multiplies by the new weight.
    var layer = try MonarchLinear(weight: m, bias: nil)
    #expect(try layer(x) == before)
    layer.weight = changed
    #expect(try layer(x) == after)
    #expect(try m.multiply(x) == before)
  }

  @Test func concurrentFirstMultipliesPackOnceAndAgree() throws {
    var generator = SeededGenerator(seed: 44)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let x = Tensor<Float>.normal(shape: [33, 256], using: &generator)
    let serial = try MonarchMatrix(validated: layout, w1: m.w1, w2: m.w2).multiply(x)
    let results = ConcurrentResults(count: 8)
    DispatchQueue.concurrentPerform(iterations: 8) { index in
      results.set(index, try! m.multiply(x), m.packedForward.packed(for: m))
    }
    #expect(results.outputs.allSatisfy { $0 == serial })
    #expect(results.packings.allSatisfy { $0 === results.packings[0] })
  }

  @Test func multiplyIntoAndEmptyBatchesAgreeWithMultiply() throws {
    var generator = SeededGenerator(seed: 45)
    let packed = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let general = MonarchMatrix<Double>.random(
      layout: try MonarchLayout(inFeatures: 13, outFeatures: 11, blocks: 3), using: &generator)
    let x = Tensor<Float>.normal(shape: [7, 256], using: &generator)
    var y = Tensor<Float>(repeating: .nan, shape: [7, 256])
    try packed.multiply(x, into: &y)
    #expect(try y == packed.multiply(x))
    #expect(discrepancy(y, referenceMultiply(x, packed), absoluteTolerance: 1e-5, relativeTolerance: 1e-5).isWithinTolerance)
    let u = Tensor<Double>.normal(shape: [5, 13], using: &generator)
    var v = Tensor<Double>(repeating: .nan, shape: [5, 11])
    try general.multiply(u, into: &v)
    #expect(discrepancy(v, referenceMultiply(u, general), absoluteTolerance: 1e-12).isWithinTolerance)
    #expect(try packed.multiply(Tensor<Float>(zeros: [0, 256])).shape == [0, 256])
    #expect(try general.multiply(Tensor<Double>(zeros: [0, 13])).shape == [0, 11])
  }

  /// Batches of 1 ... 13 rows leave every remainder of the 6-, 4- and 2-row register blocks, and `s = 18` leaves
  /// two outputs after the 4-output blocks of step 2.
  @Test(arguments: [(256, 256, 16, 16, 1), (96, 288, 3, 16, 5)])
  func everyTailBlockAtEveryVectorLevelMatchesTheReference(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    var generator = SeededGenerator(seed: 46)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let x = Tensor<Float>.normal(shape: [13, shape.0], using: &generator)
    let reference = referenceMultiply(x, m)
    let packed = m.withFactorsView { PackedForward($0) }
    var worst = 0.0
    for level: Int32 in [0, 2, 3] {
      for batch in 1...13 {
        var y = [Float](repeating: .nan, count: batch * shape.1)
        x.scalars.withUnsafeBufferPointer { px in
          y.withUnsafeMutableBufferPointer { py in
            packed.multiply(px.baseAddress!, batch: batch, into: py.baseAddress!, level: level)
          }
        }
        for index in 0..<y.count {
          let exact = reference.scalars[index]
          let error = abs(Double(y[index]) - exact) / max(1, abs(exact))
          worst = worst.isNaN || error.isNaN ? .nan : max(worst, error)  // NaN: an output left unwritten
        }
      }
    }
    #expect(worst <= 1e-5, "\(layout): worst relative error \(worst)")
  }
}

/// Results written by concurrent tasks, one slot each, under a lock.
private final class ConcurrentResults: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var outputs: [Tensor<Float>?]
  private(set) var packings: [PackedForward?]

  init(count: Int) {
    outputs = Array(repeating: nil, count: count)
    packings = Array(repeating: nil, count: count)
  }

  func set(_ index: Int, _ output: Tensor<Float>, _ packing: PackedForward) {
    lock.withLock {
      outputs[index] = output
      packings[index] = packing
    }
  }
}
