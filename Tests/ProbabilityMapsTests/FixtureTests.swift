import Foundation
import Testing
import ProbabilityMaps
import TensorCore
import TestSupport

/// Outputs of the Python `entmax` package, written by `Fixtures/make_fixtures.py`.
@Suite("Fixtures from the Python entmax package")
struct FixtureTests {
  struct Case {
    let name: String
    let scores: Tensor<Float>
    let outputs: [String: [Double]]
  }

  static func cases() throws -> [Case] {
    let url = try #require(Bundle.module.url(forResource: "entmax_fixtures", withExtension: "json", subdirectory: "Fixtures"))
    let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let entries = try #require(root["cases"] as? [[String: Any]])
    return try entries.map { entry in
      let rows = try #require(entry["scores"] as? [[Any]])
      let scores = rows.joined().map { value -> Float in (value as? String) == "-inf" ? -.infinity : Float((value as! NSNumber).doubleValue) }
      var outputs: [String: [Double]] = [:]
      for (key, value) in entry where key != "case" && key != "scores" {
        outputs[key] = try #require(value as? [[Double]]).flatMap { $0 }
      }
      return Case(name: try #require(entry["case"] as? String), scores: Tensor(shape: [rows.count, rows[0].count], scalars: scores), outputs: outputs)
    }
  }

  @Test func reproducesEntmaxPackageInFloat() throws {
    let maps: [(String, any ProbabilityMap)] = [
      ("softmax", Softmax.standard), ("sparsemax", Sparsemax()), ("entmax15", Entmax15()),
      ("entmax_bisect_1.25", try Entmax(alpha: 1.25)), ("entmax_bisect_3", try Entmax(alpha: 3)),
    ]
    let cases = try Self.cases()
    #expect(cases.count == 7)
    for fixture in cases {
      for (key, map) in maps {
        let reference = try #require(fixture.outputs[key])
        let check = discrepancy(try map.forward(fixture.scores).scalars, reference, absoluteTolerance: 1e-5)
        #expect(check.isWithinTolerance, "\(fixture.name) / \(key): \(check)")
      }
    }
  }
}
