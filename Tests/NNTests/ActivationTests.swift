import Foundation
import NN
import TensorCore
import TestSupport
import Testing

/// The activations in Double, written from their definitions.
private let references: [(name: String, f: @Sendable (Double) -> Double)] = [
  ("gelu", { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
  ("gelu-tanh", { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }),
  ("silu", { $0 / (1 + exp(-$0)) }),
  ("relu", { max($0, 0) }),
]

@Suite("Elementwise activations against their definitions")
struct ActivationTests {
  private func run(_ name: String, _ x: MatrixView<Float>, _ y: MutableMatrixView<Float>) {
    switch name {
    case "gelu": GELU().forward(x, into: y)
    case "gelu-tanh": GELU(approximation: .tanh).forward(x, into: y)
    case "silu": SiLU().forward(x, into: y)
    default: ReLU().forward(x, into: y)
    }
  }

  private func runBackward(_ name: String, _ x: MatrixView<Float>, _ dy: MatrixView<Float>, _ dx: InputGradient) {
    switch name {
    case "gelu": GELU().backward(input: x, outputGradient: dy, inputGradient: dx)
    case "gelu-tanh": GELU(approximation: .tanh).backward(input: x, outputGradient: dy, inputGradient: dx)
    case "silu": SiLU().backward(input: x, outputGradient: dy, inputGradient: dx)
    default: ReLU().backward(input: x, outputGradient: dy, inputGradient: dx)
    }
  }

  @Test(arguments: references.map(\.name))
  func valuesAndDerivatives(name: String) {
    let f = references.first { $0.name == name }!.f
    // A dense sweep over [-6, 6] that avoids ReLU's kink at 0 by half a step.
    let x = (0..<241).map { Double(Float(-6 + 0.05 * Double($0) + 0.025)) }
    let dy = samples(x.count, seed: 3)
    let m = Matrices()
    let (xv, yv, dyv, dxv) = (m.make(1, x.count, x), m.make(1, x.count), m.make(1, x.count, dy), m.make(1, x.count))
    run(name, xv.readOnly, yv)
    expectClose(yv.elements, x.map(f), tolerance: 1e-6, "\(name) values")
    runBackward(name, xv.readOnly, dyv.readOnly, .overwrite(dxv))
    let reference = zip(x, dy).map { x, dy in dy * (f(x + 1e-6) - f(x - 1e-6)) / 2e-6 }
    expectClose(dxv.elements, reference, tolerance: 1e-5, "\(name) derivative")
  }

  @Test func theTwoGELUFormsDifferByAboutOneThousandth() {
    let m = Matrices()
    let x = (0..<801).map { -8 + 0.02 * Double($0) }
    let (xv, exact, tanh) = (m.make(1, x.count, x), m.make(1, x.count), m.make(1, x.count))
    GELU().forward(xv.readOnly, into: exact)
    GELU(approximation: .tanh).forward(xv.readOnly, into: tanh)
    let gap = zip(exact.elements, tanh.elements).map { abs($0 - $1) }.max()!
    #expect(gap > 1e-4 && gap < 1e-3, "largest gap \(gap)")
  }

  @Test func dropoutIsSeededAndItsBackwardUsesTheSameMask() throws {
    let dropout = try Dropout(probability: 0.25, seed: 42)
    let (rows, columns) = (64, 64)
    let m = Matrices()
    let x = m.make(rows, columns, [Double](repeating: 1, count: rows * columns))
    let (y1, y2, y3) = (m.make(rows, columns), m.make(rows, columns), m.make(rows, columns))
    dropout.forward(x.readOnly, into: y1, step: 7)
    dropout.forward(x.readOnly, into: y2, step: 7)
    dropout.forward(x.readOnly, into: y3, step: 8)
    #expect(y1.elements == y2.elements)
    #expect(y1.elements != y3.elements)
    let kept = y1.elements.filter { $0 != 0 }
    #expect(kept.allSatisfy { $0 == Float(1 / 0.75) })
    let fraction = Double(kept.count) / Double(rows * columns)
    #expect(abs(fraction - 0.75) < 0.03, "kept fraction \(fraction)")  // 4096 Bernoulli(0.75): σ ≈ 0.007
    let dx = m.make(rows, columns)
    dropout.backward(outputGradient: x.readOnly, inputGradient: .overwrite(dx), step: 7)
    #expect(dx.elements == y1.elements)
    #expect(throws: TrainingError.invalidProbability(layer: "Dropout", value: 1)) { try Dropout(probability: 1, seed: 0) }
  }

  @Test func residualPassesTheGradientToBothSummands() {
    let m = Matrices()
    let (a, b, y) = (m.make(2, 2, [1, 2, 3, 4]), m.make(2, 2, [10, 20, 30, 40]), m.make(2, 2))
    Residual.forward(a.readOnly, b.readOnly, into: y)
    #expect(y.elements == [11, 22, 33, 44])
    let (da, db) = (m.make(2, 2, [1, 1, 1, 1]), m.make(2, 2, [5, 5, 5, 5]))
    Residual.backward(outputGradient: m.make(2, 2, [1, 2, 3, 4]).readOnly, firstGradient: .accumulate(da), secondGradient: .overwrite(db))
    #expect(da.elements == [2, 3, 4, 5])
    #expect(db.elements == [1, 2, 3, 4])
  }
}
