import Monarch
import TensorCore
import TestSupport
import Testing

@Suite("Monarch backward, products and solves")
struct MonarchAlgebraTests {
  @Test(arguments: [(12, 10, 3, 2, 2), (10, 7, 3, 2, 1), (16, 16, 4, 4, 1)])
  func backwardMatchesCentralDifferences(shape: (Int, Int, Int, Int, Int)) throws {
    let layout = try MonarchLayout(
      inFeatures: shape.0, outFeatures: shape.1, inBlocks: shape.2, outBlocks: shape.3, rank: shape.4)
    var generator = SeededGenerator(seed: 31)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let x = Tensor<Double>.normal(shape: [3, shape.0], using: &generator)
    let dy = Tensor<Double>.normal(shape: [3, shape.1], using: &generator)
    // L = Σ dy ⊙ (x Mᵀ): its gradient is what `gradients` returns.
    func loss(_ m: MonarchMatrix<Double>, _ x: Tensor<Double>) throws -> Double {
      try zip(m.multiply(x).scalars, dy.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let gradients = try m.gradients(input: x, outputGradient: dy)
    let step = 1e-6
    func central(_ perturb: (Double) throws -> Double) rethrows -> Double {
      (try perturb(step) - perturb(-step)) / (2 * step)
    }
    for index in 0..<x.count {
      let numeric = try central { h in
        var shifted = x
        shifted.scalars[index] += h
        return try loss(m, shifted)
      }
      #expect(abs(numeric - gradients.input.scalars[index]) < 1e-7, "dx[\(index)]")
    }
    for index in 0..<m.w1.count {
      let numeric = try central { h in
        var w1 = m.w1
        w1.scalars[index] += h
        return try loss(try MonarchMatrix(layout: layout, w1: w1, w2: m.w2), x)
      }
      #expect(abs(numeric - gradients.w1.scalars[index]) < 1e-7, "dw1[\(index)]")
    }
    for index in 0..<m.w2.count {
      let numeric = try central { h in
        var w2 = m.w2
        w2.scalars[index] += h
        return try loss(try MonarchMatrix(layout: layout, w1: m.w1, w2: w2), x)
      }
      #expect(abs(numeric - gradients.w2.scalars[index]) < 1e-7, "dw2[\(index)]")
    }
    // dx is the transposed multiply of dy: dx = dy M.
    #expect(discrepancy(gradients.input, naiveMatmul(dy, m.dense()), absoluteTolerance: 1e-12).isWithinTolerance)
  }

  @Test func productsComposeDenseMatrices() throws {
    var generator = SeededGenerator(seed: 32)
    let first = MonarchMatrix<Double>.random(
      layout: try MonarchLayout(inFeatures: 12, outFeatures: 8, inBlocks: 3, outBlocks: 2, rank: 1), using: &generator)
    let second = MonarchMatrix<Double>.random(
      layout: try MonarchLayout(inFeatures: 8, outFeatures: 9, inBlocks: 2, outBlocks: 3, rank: 2), using: &generator)
    let product = try MonarchProduct([first, second])
    let dense = naiveMatmul(second.dense(), first.dense())
    #expect(discrepancy(product.dense(), dense, absoluteTolerance: 1e-12).isWithinTolerance)
    let u = Tensor<Double>.normal(shape: [4, 9], using: &generator)
    #expect(try discrepancy(product.multiplyTransposed(u), naiveMatmul(u, dense), absoluteTolerance: 1e-12).isWithinTolerance)
    #expect(throws: MonarchError.self) { try MonarchProduct([second, second]) }
  }

  @Test(arguments: [(16, 4, 1), (36, 6, 1), (32, 4, 2)])
  func solveInvertsSquareBlockMatrices(n: Int, blocks: Int, rank: Int) throws {
    // Square blocks: q = ρ·l = p and s = r = ρ·k, so n = k·p with p = ρ·blocks.
    let layout = try MonarchLayout(inFeatures: n, outFeatures: n, inBlocks: blocks, outBlocks: blocks, rank: rank)
    #expect(layout.firstBlockRows == layout.inBlockSize)
    var generator = SeededGenerator(seed: 33)
    let m = MonarchMatrix<Double>.random(layout: layout, using: &generator)
    let x = Tensor<Double>.normal(shape: [3, n], using: &generator)
    let y = try m.multiply(x)
    let solved = try MonarchSolver(m).solve(y)
    #expect(discrepancy(solved, x, absoluteTolerance: 1e-8, relativeTolerance: 1e-8).isWithinTolerance)
  }

  @Test func solveRejectsSingularAndNonSquareBlocks() throws {
    let layout = try MonarchLayout(inFeatures: 16, outFeatures: 16, blocks: 4)
    var w2 = Tensor<Double>(identity: 4).scalars
    w2 = Array(repeating: w2, count: 4).flatMap { $0 }
    var w1 = w2
    for i in 0..<4 { w1[2 * 16 + i * 4 + 1] = 0 }  // block 2 of w1 loses its second column
    let singular = try MonarchMatrix(
      layout: layout, w1: Tensor(shape: [4, 4, 4], scalars: w1), w2: Tensor(shape: [4, 4, 4], scalars: w2))
    do {
      _ = try MonarchSolver(singular)
      Issue.record("singular block accepted")
    } catch {
      #expect("\(error)" == "block 2 of w1 is singular")
    }
    var generator = SeededGenerator(seed: 34)
    let rectangular = MonarchMatrix<Double>.random(
      layout: try MonarchLayout(inFeatures: 12, outFeatures: 10, inBlocks: 3, outBlocks: 2, rank: 2), using: &generator)
    #expect(throws: MonarchError.self) { try MonarchSolver(rectangular) }
  }
}
