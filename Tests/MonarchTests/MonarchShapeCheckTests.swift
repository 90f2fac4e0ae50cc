import Monarch
import TensorCore
import Testing

@Suite("Monarch public entry points refuse inconsistent shapes and sizes")
struct MonarchShapeCheckTests {
  func isShapeMismatch(_ body: () throws -> Void) -> Bool {
    do {
      try body()
      return false
    } catch MonarchError.shapeMismatch {
      return true
    } catch {
      return false
    }
  }

  func overflowField(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch MonarchError.sizeOverflow(let field, _) {
      return field
    } catch {
      return "not an overflow: \(error)"
    }
  }

  @Test func layoutSizesNearIntMaxThrowInsteadOfTrapping() {
    let big = Int.max
    #expect(
      overflowField { _ = try MonarchLayout(inFeatures: big, outFeatures: 4, inBlocks: 1, outBlocks: 1, rank: 1) }
        == "in_features")
    #expect(
      overflowField {
        _ = try MonarchLayout(inFeatures: 4, outFeatures: 4, inBlocks: 2, outBlocks: 2, firstBlockRows: big / 2 + 1, secondBlockColumns: 1)
      } == "k·q")
    #expect(
      overflowField { _ = try MonarchLayout(inFeatures: 8, outFeatures: 8, inBlocks: 2, outBlocks: 2, rank: big / 2 + 1) }
        == "q = rank·out-blocks")
    // Every width fits 32 bits, but twice the parameter count (the FLOPs per row) overflows Int.
    let width = Int(Int32.max)
    #expect(
      overflowField {
        _ = try MonarchLayout(
          inFeatures: width, outFeatures: width, inBlocks: 1, outBlocks: 1, firstBlockRows: width,
          secondBlockColumns: width)
      } == "parameter count")
    // Zero-element factors (an extent of 0) never make a layout.
    #expect(throws: MonarchError.self) {
      try MonarchMatrix<Float>(w1: Tensor(zeros: [0, 4, 4]), w2: Tensor(zeros: [4, 4, 0]))
    }
    #expect(throws: MonarchError.self) {
      try MonarchMatrix<Float>(w1: Tensor(zeros: [2, 4, 0]), w2: Tensor(zeros: [2, 4, 4]), inFeatures: 4)
    }
    #expect(MonarchLayout.defaultRank(inFeatures: 8, outFeatures: 8, inBlocks: big, outBlocks: big) == 1)
  }

  @Test func everyMultiplyChecksItsInputShape() throws {
    var generator = SeededGenerator(seed: 81)
    for scalarIsFloat in [true, false] {
      let layout = try MonarchLayout(inFeatures: 64, outFeatures: 48, blocks: 4)
      let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
      let d = MonarchMatrix<Double>.random(layout: layout, using: &generator)
      let wrong = Tensor<Float>(zeros: [3, 63])
      if scalarIsFloat {
        #expect(isShapeMismatch { _ = try m.multiply(wrong) })
        #expect(isShapeMismatch { _ = try m.multiply(Tensor<Float>(zeros: [64])) })
        #expect(isShapeMismatch { _ = try m.multiplyTransposed(Tensor<Float>(zeros: [3, 64])) })
        // The packed kernel would read 3·64 floats from an input of 2·64 if the batch were not checked.
        var y = Tensor<Float>(zeros: [3, 48])
        #expect(isShapeMismatch { try m.multiply(Tensor<Float>(zeros: [2, 64]), into: &y) })
        var narrow = Tensor<Float>(zeros: [2, 47])
        #expect(isShapeMismatch { try m.multiply(Tensor<Float>(zeros: [2, 64]), into: &narrow) })
        #expect(narrow.scalars.allSatisfy { $0 == 0 })
        // The backward reads batch rows of both arguments: each must have the batch and width that fit.
        let x = Tensor<Float>(zeros: [3, 64])
        #expect(isShapeMismatch { _ = try m.gradients(input: wrong, outputGradient: Tensor<Float>(zeros: [3, 48])) })
        #expect(isShapeMismatch { _ = try m.gradients(input: x, outputGradient: Tensor<Float>(zeros: [2, 48])) })
        #expect(isShapeMismatch { _ = try m.gradients(input: x, outputGradient: Tensor<Float>(zeros: [3, 47])) })
      } else {
        #expect(isShapeMismatch { _ = try d.multiply(Tensor<Double>(zeros: [3, 48])) })
        #expect(isShapeMismatch { _ = try d.multiplyTransposed(Tensor<Double>(zeros: [3, 64])) })
      }
    }
  }

  @Test func productsSolverAndLayerCheckShapes() throws {
    var generator = SeededGenerator(seed: 82)
    let square = try MonarchLayout(inFeatures: 16, outFeatures: 16, blocks: 4, rank: 1)
    let m = MonarchMatrix<Double>.random(layout: square, using: &generator)
    let product = try MonarchProduct([m, m])
    #expect(isShapeMismatch { _ = try product.multiply(Tensor<Double>(zeros: [2, 15])) })
    #expect(isShapeMismatch { _ = try product.multiplyTransposed(Tensor<Double>(zeros: [2, 17])) })
    let solver = try MonarchSolver(m)
    #expect(isShapeMismatch { _ = try solver.solve(Tensor<Double>(zeros: [2, 8])) })

    var layer = try MonarchLinear<Float>(inFeatures: 16, outFeatures: 12, blocks: 2, using: &generator)
    let x = Tensor<Float>(zeros: [3, 16])
    #expect(isShapeMismatch { _ = try layer(Tensor<Float>(zeros: [3, 12])) })
    #expect(isShapeMismatch { _ = try layer.backward(input: x, outputGradient: Tensor<Float>(zeros: [2, 12])) })
    #expect(isShapeMismatch { _ = try layer.backward(input: x, outputGradient: Tensor<Float>(zeros: [3, 16])) })
    // A bias replaced after `init` with the wrong length (or an empty one) is refused, not divided by.
    layer.bias = Tensor<Float>(zeros: [0])
    #expect(isShapeMismatch { _ = try layer(x) })
    #expect(isShapeMismatch { _ = try layer.backward(input: x, outputGradient: Tensor<Float>(zeros: [3, 12])) })
    #expect(throws: MonarchError.self) { try MonarchLinear(weight: layer.weight, bias: Tensor<Float>(zeros: [11])) }
    #expect(throws: MonarchError.self) {
      try MonarchLinear(weight: layer.weight, bias: Tensor<Float>(repeating: .nan, shape: [12]))
    }
  }

  @Test func nonFiniteFactorsAreNamed() throws {
    let layout = try MonarchLayout(inFeatures: 8, outFeatures: 8, blocks: 2, rank: 1)
    var w2 = Tensor<Float>(zeros: layout.secondFactorShape)
    w2.scalars[5] = .infinity
    do {
      _ = try MonarchMatrix(layout: layout, w1: Tensor(zeros: layout.firstFactorShape), w2: w2)
      Issue.record("infinite factor accepted")
    } catch MonarchError.nonFinite(let argument, let index, let value) {
      #expect(argument == "factor w2" && index == 5 && value == .infinity)
    }
  }
}
