import Foundation
import Monarch
import TensorCore
import TensorFiles
import Testing

@Suite("Monarch checkpoint layout: names, metadata and validation")
struct MonarchCheckpointTests {
  func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("monarch-checkpoint-\(UUID().uuidString)-\(name)")
  }

  func write(_ m: MonarchMatrix<Float>, prefix: String, naming: MonarchFactorNaming, metadata: Bool) throws -> URL {
    let url = temporaryURL("\(naming).safetensors")
    let names = MonarchCheckpoint.entries(for: m.layout, prefix: prefix, naming: naming).map(\.name)
    try SafetensorsWriter.write(
      [(names[0], try TensorData(m.w1)), (names[1], try TensorData(m.w2)), ("other.bias", try TensorData(Tensor<Float>(zeros: [3])))],
      metadata: metadata ? MonarchCheckpoint.metadata(for: m.layout, prefix: prefix) : [:], to: url)
    return url
  }

  @Test(arguments: MonarchFactorNaming.allCases)
  func writtenLayersReadBackIdentically(naming: MonarchFactorNaming) throws {
    var generator = SeededGenerator(seed: 91)
    // Padded on both sides (in 30 with 4 blocks, out 21 with 4 blocks): metadata carries the true widths.
    let layout = try MonarchLayout(inFeatures: 30, outFeatures: 21, blocks: 4, rank: 2)
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    for prefix in ["", "layers.0.mlp.fc1"] {
      let file = try SafetensorsFile(contentsOf: try write(m, prefix: prefix, naming: naming, metadata: true))
      #expect(MonarchCheckpoint.layers(in: file) == [prefix])
      #expect(try MonarchCheckpoint.naming(of: prefix, in: file) == naming)
      let read = try MonarchCheckpoint.read(Float.self, from: file, prefix: prefix)
      #expect(read == m)
      #expect(file.metadata[MonarchCheckpoint.qualified("in_features", prefix: prefix)] == "30")
    }
  }

  @Test func aPyTorchStateDictionaryWithoutMetadataReadsWithUnpaddedDefaults() throws {
    var generator = SeededGenerator(seed: 92)
    // fly's MonarchLinear(64, 64, nblocks=4): blkdiag1 (4, 16, 16), blkdiag2 (4, 16, 16).
    let layout = try MonarchLayout(inFeatures: 64, outFeatures: 64, blocks: 4)
    #expect(layout.firstFactorShape == [4, 16, 16] && layout.secondFactorShape == [4, 16, 16])
    let m = MonarchMatrix<Float>.random(layout: layout, using: &generator)
    let file = try SafetensorsFile(contentsOf: try write(m, prefix: "fc", naming: .pytorch, metadata: false))
    #expect(try MonarchCheckpoint.read(Float.self, from: file, prefix: "fc") == m)
    #expect(file.names.contains("fc.blkdiag1") && file.names.contains("fc.blkdiag2"))
  }

  @Test func metadataIsValidatedEntryByEntry() throws {
    let shapes = ([4, 8, 4], [4, 3, 8])  // k = l = 4, p = 4, s = 3, q = r = 8: rank 2, 16 in, 12 out
    #expect(try MonarchCheckpoint.layout(firstShape: shapes.0, secondShape: shapes.1, metadata: [:]).inFeatures == 16)
    let bad: [(String, String)] = [
      ("in_features", "9223372036854775807"), ("in_features", "+16"), ("in_features", " 16"), ("in_features", "0x10"),
      ("in_features", "1e3"), ("in_features", ""), ("out_features", "13"), ("in_features", "12"),
      ("in_blocks", "2"), ("out_blocks", "5"), ("rank", "1"), ("rank", "mixed"), ("in_features", "99999999999999999999"),
    ]
    for (key, value) in bad {
      do {
        _ = try MonarchCheckpoint.layout(firstShape: shapes.0, secondShape: shapes.1, metadata: [key: value])
        Issue.record("\(key) = '\(value)' accepted")
      } catch let error as MonarchError {
        // Every refusal names the entry or the size it breaks.
        #expect("\(error)".contains(key) || "\(error)".contains("in_features") || "\(error)".contains("factors"), "\(key) = \(value): \(error)")
      }
    }
    #expect(
      try MonarchCheckpoint.layout(
        firstShape: shapes.0, secondShape: shapes.1, metadata: ["in_features": "13", "out_features": "10", "rank": "2"]
      ).outFeatures == 10)
    #expect(throws: MonarchError.self) {
      try MonarchCheckpoint.layout(firstShape: [2, 1 << 62, 4], secondShape: [2, 2, 1 << 62], metadata: [:])
    }
  }

  @Test func ambiguousAndMissingFactorsAreNamed() throws {
    let url = temporaryURL("both.safetensors")
    let factor = try TensorData(Tensor<Float>(repeating: 1, shape: [1, 1, 1]))
    try SafetensorsWriter.write(
      [("a.w1", factor), ("a.w2", factor), ("a.blkdiag1", factor), ("a.blkdiag2", factor), ("b.w1", factor)], to: url)
    let file = try SafetensorsFile(contentsOf: url)
    #expect(throws: MonarchError.self) { try MonarchCheckpoint.read(Float.self, from: file, prefix: "a") }
    #expect(throws: MonarchError.missingTensor(name: "b.w2")) { try MonarchCheckpoint.read(Float.self, from: file, prefix: "b") }
    #expect(throws: MonarchError.missingTensor(name: "c.w1")) { try MonarchCheckpoint.read(Float.self, from: file, prefix: "c") }
  }
}
