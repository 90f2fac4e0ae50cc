import Foundation
import NN
import TensorCore
import TestSupport
import Testing

private func referenceLayerNorm(_ x: [Double], _ g: [Double], _ b: [Double], rows: Int, n: Int, eps: Double) -> [Double] {
  var y = x
  for i in 0..<rows {
    let row = Array(x[i * n..<(i + 1) * n])
    let mean = row.reduce(0, +) / Double(n)
    let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
    for j in 0..<n { y[i * n + j] = (row[j] - mean) / (variance + eps).squareRoot() * g[j] + b[j] }
  }
  return y
}

private func referenceRMSNorm(_ x: [Double], _ g: [Double], rows: Int, n: Int, eps: Double) -> [Double] {
  var y = x
  for i in 0..<rows {
    let meanSquare = (0..<n).reduce(0) { $0 + x[i * n + $1] * x[i * n + $1] } / Double(n)
    for j in 0..<n { y[i * n + j] = x[i * n + j] / (meanSquare + eps).squareRoot() * g[j] }
  }
  return y
}

@Suite("LayerNorm and RMSNorm")
struct NormalizationTests {
  let rows = 4
  let n = 6

  @Test func layerNormClosedFormOnOneRow() throws {
    var layout = ParameterLayout()
    let norm = try LayerNorm("ln", features: 4, epsilon: 1e-5, layout: &layout)
    let store = try ParameterStore(layout: layout)
    norm.initialize(store)
    let m = Matrices()
    let (x, y) = (m.make(1, 4, [1, 2, 3, 4]), m.make(1, 4))
    let workspace = Workspace()
    let stats = norm.forward(x.readOnly, into: y, parameters: store, workspace: workspace)
    // mean 2.5, biased variance 1.25: y = (x − 2.5)/√(1.25 + 1e-5).
    let sigma = (1.25 + 1e-5).squareRoot()
    expectClose(y.elements, [-1.5 / sigma, -0.5 / sigma, 0.5 / sigma, 1.5 / sigma], tolerance: 1e-6, "y")
    #expect(stats.mean[0] == 2.5)
    #expect(abs(Double(stats.reciprocalStandardDeviation[0]) - 1 / sigma) < 1e-6)
    withExtendedLifetime(workspace) {}
  }

  @Test(arguments: [1e-5, 1e-12])
  func layerNormGradients(epsilon: Double) throws {
    var layout = ParameterLayout()
    let norm = try LayerNorm("ln", features: n, epsilon: Float(epsilon), layout: &layout)
    let store = try ParameterStore(layout: layout)
    let (x, g, b, dy) = (samples(rows * n, seed: 1, scale: 2), samples(n, seed: 2), samples(n, seed: 3), samples(rows * n, seed: 4))
    store.set(norm.weight, g)
    store.set(norm.bias!, b)
    let m = Matrices()
    let (xv, yv, dxv) = (m.make(rows, n, x), m.make(rows, n), m.make(rows, n))
    let workspace = Workspace()
    let stats = norm.forward(xv.readOnly, into: yv, parameters: store, workspace: workspace)
    expectClose(yv.elements, referenceLayerNorm(x, g, b, rows: rows, n: n, eps: epsilon), tolerance: 1e-6, "y")
    norm.backward(
      input: xv.readOnly, statistics: stats, outputGradient: m.make(rows, n, dy).readOnly,
      inputGradient: .overwrite(dxv), parameters: store)
    withExtendedLifetime(workspace) {}
    let loss = { (x: [Double], g: [Double], b: [Double]) in
      weightedSum(referenceLayerNorm(x, g, b, rows: self.rows, n: self.n, eps: epsilon), dy)
    }
    expectClose(dxv.elements, finiteDifferenceGradient(of: { loss($0, g, b) }, at: x), tolerance: 1e-5, "dx")
    expectClose(store.gradient(norm.weight), finiteDifferenceGradient(of: { loss(x, $0, b) }, at: g), tolerance: 1e-5, "dγ")
    expectClose(store.gradient(norm.bias!), finiteDifferenceGradient(of: { loss(x, g, $0) }, at: b), tolerance: 1e-5, "dβ")
  }

  @Test func rmsNormGradients() throws {
    var layout = ParameterLayout()
    let norm = try RMSNorm("norm", features: n, epsilon: 1e-6, layout: &layout)
    let store = try ParameterStore(layout: layout)
    let (x, g, dy) = (samples(rows * n, seed: 5), samples(n, seed: 6), samples(rows * n, seed: 7))
    store.set(norm.weight, g)
    let m = Matrices()
    let (xv, yv, dxv) = (m.make(rows, n, x), m.make(rows, n), m.make(rows, n))
    let workspace = Workspace()
    let r = norm.forward(xv.readOnly, into: yv, parameters: store, workspace: workspace)
    expectClose(yv.elements, referenceRMSNorm(x, g, rows: rows, n: n, eps: 1e-6), tolerance: 1e-6, "y")
    norm.backward(
      input: xv.readOnly, reciprocalRMS: r, outputGradient: m.make(rows, n, dy).readOnly,
      inputGradient: .overwrite(dxv), parameters: store)
    withExtendedLifetime(workspace) {}
    let loss = { (x: [Double], g: [Double]) in weightedSum(referenceRMSNorm(x, g, rows: self.rows, n: self.n, eps: 1e-6), dy) }
    expectClose(dxv.elements, finiteDifferenceGradient(of: { loss($0, g) }, at: x), tolerance: 1e-5, "dx")
    expectClose(store.gradient(norm.weight), finiteDifferenceGradient(of: { loss(x, $0) }, at: g), tolerance: 1e-5, "dγ")
  }
}
