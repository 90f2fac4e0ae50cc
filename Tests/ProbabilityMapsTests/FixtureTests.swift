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
    let doubleScores: Tensor<Double>
    let outputs: [String: [Double]]
  }

  static func cases() throws -> [Case] {
    let url = try #require(Bundle.module.url(forResource: "entmax_fixtures", withExtension: "json", subdirectory: "Fixtures"))
    let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let entries = try #require(root["cases"] as? [[String: Any]])
    return try entries.map { entry in
      let rows = try #require(entry["scores"] as? [[Any]])
      let scores = rows.joined().map { value -> Double in
        (value as? String) == "-inf" ? -.infinity : (value as! NSNumber).doubleValue
      }
      var outputs: [String: [Double]] = [:]
      for (key, value) in entry where key != "case" && key != "scores" {
        outputs[key] = try #require(value as? [[Double]]).flatMap { $0 }
      }
      return Case(name: try #require(entry["case"] as? String), scores: Tensor(shape: [rows.count, rows[0].count], scalars: scores.map { Float($0) }),
        doubleScores: Tensor(shape: [rows.count, rows[0].count], scalars: scores), outputs: outputs)
    }
  }

  static let maps: [(String, any ProbabilityMap)] = [
    ("softmax", Softmax.standard), ("sparsemax", Sparsemax()), ("entmax15", Entmax15()),
    ("entmax_bisect_1.25", try! Entmax(alpha: 1.25)), ("entmax_bisect_3", try! Entmax(alpha: 3)),
  ]

  /// The fixtures hold rows longer than several vectors (the kernels use 8 doubles or 16 floats a vector).
  @Test func fixturesCoverRowsLongerThanSeveralVectors() throws {
    let cases = try Self.cases()
    #expect(cases.count == 11)
    #expect(cases.allSatisfy { $0.scores.shape[1] >= 37 })
    #expect(Set(cases.map { $0.scores.shape[1] }) == [37, 100, 257])
    #expect(cases.contains { $0.scores.scalars.contains(-.infinity) })
  }

  @Test func reproducesEntmaxPackageInFloat() throws {
    for fixture in try Self.cases() {
      for (key, map) in Self.maps {
        let reference = try #require(fixture.outputs[key])
        let p = try map.forward(fixture.scores).scalars
        #expect(p.count == reference.count)
        let check = discrepancy(p, reference, absoluteTolerance: 1e-5)
        #expect(check.isWithinTolerance, "\(fixture.name) / \(key): \(check)")
      }
    }
  }

  /// The scores are written with full double precision, so the Double maps must match to near rounding.
  @Test func reproducesEntmaxPackageInDouble() throws {
    for fixture in try Self.cases() {
      let scores: Tensor<Double> = fixture.doubleScores
      for (key, map) in Self.maps {
        let reference = try #require(fixture.outputs[key])
        let p = try map.forward(scores).scalars
        #expect(p.count == reference.count)
        let check = discrepancy(p, reference, absoluteTolerance: 1e-10)
        #expect(check.isWithinTolerance, "\(fixture.name) / \(key): \(check)")
      }
    }
  }
}
