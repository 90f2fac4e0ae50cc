import Foundation
import Monarch
import TensorCore
import TensorFiles
import TestSupport
import Testing

@Suite("Monarch against fixtures of the PyTorch reference multiply")
struct MonarchFixtureTests {
  func fixture(_ name: String) throws -> Tensor<Double> {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "npy"))
    return try NPYFile.read(url).tensor(as: Double.self)
  }

  @Test(arguments: ["square", "rectangular", "general"])
  func productsMatchTheReference(name: String) throws {
    let m = try MonarchMatrix(w1: fixture("monarch_\(name)_w1"), w2: fixture("monarch_\(name)_w2"))
    let x = try fixture("monarch_\(name)_x")
    let y = try fixture("monarch_\(name)_y")
    #expect(discrepancy(m.multiply(x), y, absoluteTolerance: 1e-12, relativeTolerance: 1e-12).isWithinTolerance)
    #expect(discrepancy(naiveMatmul(x, m.dense().transposed()), y, absoluteTolerance: 1e-12).isWithinTolerance)
  }
}
