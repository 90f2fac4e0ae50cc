import Foundation
import Monarch
import NN
import TensorCore
import Pretrained
import TensorFiles
import Testing

/// PyTorch's hidden states for the tiny BERT folder, made by Fixtures/tiny-bert/make_tiny_bert.py.
private struct TinyBertReference: Decodable {
  let ids: [[Int32]]
  let token_types: [[Int32]]
  let lengths: [Int]
  let hidden: [[Double]]
}

private func tinyBertFolder() throws -> URL {
  try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/tiny-bert")
}

/// A copy of the tiny BERT folder whose config and weights `edit` may change.
private func editedCopy(
  config: (inout [String: Any]) -> Void = { _ in },
  tensors: (inout [(String, TensorData)]) -> Void = { _ in }
) throws -> URL {
  let source = try tinyBertFolder()
  let target = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-bert-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
  var object = try #require(
    try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
  config(&object)
  try JSONSerialization.data(withJSONObject: object).write(to: target.appendingPathComponent("config.json"))
  let file = try SafetensorsFile(contentsOf: source.appendingPathComponent("model.safetensors"))
  var entries = try file.names.map { ($0, try file.tensorData(named: $0)) }
  tensors(&entries)
  try SafetensorsWriter.write(entries, to: target.appendingPathComponent("model.safetensors"))
  return target
}

@Suite struct BertEncoderTests {
  @Test func hiddenStatesEqualPyTorchWithPadding() throws {
    let encoder = try BertEncoder(folder: try tinyBertFolder())
    #expect(encoder.configuration.hiddenSize == 32 && encoder.configuration.layers == 2)
    let reference = try JSONDecoder().decode(
      TinyBertReference.self, from: Data(contentsOf: try tinyBertFolder().appendingPathComponent("expected.json")))
    let encodings = zip(reference.ids, reference.token_types).enumerated().map { row, pair in
      TokenEncoding(ids: Array(pair.0.prefix(reference.lengths[row])), tokenTypes: Array(pair.1.prefix(reference.lengths[row])))
    }
    let batch = TokenBatch(padding: encodings, paddingID: 0)
    let hidden = try encoder.hiddenStates(batch)
    let width = 32
    for (row, expected) in reference.hidden.enumerated() {
      let actual = hidden[row * batch.sequenceLength * width..<(row * batch.sequenceLength + reference.lengths[row]) * width]
      let scale = expected.map(abs).max()!
      let worst = zip(actual, expected).map { abs(Double($0) - $1) }.max()!
      #expect(worst <= 1e-5 * scale, "sequence \(row): worst difference \(worst) against scale \(scale)")
    }
    // Each sequence alone gives the same states as in the padded batch.
    let alone = try encoder.hiddenStates(TokenBatch(padding: [encodings[1]], paddingID: 0))
    let inBatch = Array(hidden[batch.sequenceLength * width..<(batch.sequenceLength + reference.lengths[1]) * width])
    #expect(zip(alone, inBatch).allSatisfy { abs($0 - $1) <= 1e-5 })
  }

  @Test func prefixAndGammaBetaNamesLoadTheSameModel() throws {
    let renamed = try editedCopy(tensors: { entries in
      entries = entries.map { name, data in
        var name = "bert." + name
        if name.hasSuffix("LayerNorm.weight") { name = String(name.dropLast(6)) + "gamma" }
        if name.hasSuffix("LayerNorm.bias") { name = String(name.dropLast(4)) + "beta" }
        return (name, data)
      }
    })
    defer { try? FileManager.default.removeItem(at: renamed) }
    let batch = TokenBatch(padding: [TokenEncoding(ids: [1, 5, 9, 2], tokenTypes: [0, 0, 1, 1])], paddingID: 0)
    let original = try BertEncoder(folder: try tinyBertFolder()).hiddenStates(batch)
    #expect(try BertEncoder(folder: renamed).hiddenStates(batch) == original)
  }

  @Test func badFoldersNameTheFileFieldOrTensor() throws {
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    let configPath = empty.appendingPathComponent("config.json").path
    #expect(throws: PretrainedModelError.unreadableFile(file: configPath, reason: "cannot read the model configuration")) {
      try BertEncoder(folder: empty)
    }

    let gpt = try editedCopy(config: { $0["model_type"] = "gpt_neox" })
    defer { try? FileManager.default.removeItem(at: gpt) }
    #expect(
      throws: PretrainedModelError.unsupportedArchitecture(
        file: gpt.appendingPathComponent("config.json").path, architecture: "gpt_neox", supported: ["bert"])
    ) { try BertEncoder(folder: gpt) }

    let relative = try editedCopy(config: { $0["position_embedding_type"] = "relative_key" })
    defer { try? FileManager.default.removeItem(at: relative) }
    #expect(throws: PretrainedModelError.self) { try BertEncoder(folder: relative) }

    let query = "encoder.layer.1.attention.self.query.weight"
    let missing = try editedCopy(tensors: { $0.removeAll { $0.0 == query } })
    defer { try? FileManager.default.removeItem(at: missing) }
    let missingWeights = missing.appendingPathComponent("model.safetensors").path
    #expect(throws: PretrainedModelError.missingTensor(file: missingWeights, tensor: query)) {
      try BertEncoder(folder: missing)
    }

    let norm = "encoder.layer.0.output.LayerNorm.weight"
    let misshapen = try editedCopy(tensors: { entries in
      let index = entries.firstIndex { $0.0 == norm }!
      entries[index].1 = try! TensorData(dtype: .float32, shape: [31], bytes: [UInt8](repeating: 0, count: 31 * 4))
    })
    defer { try? FileManager.default.removeItem(at: misshapen) }
    #expect(
      throws: PretrainedModelError.tensorShapeMismatch(
        file: misshapen.appendingPathComponent("model.safetensors").path, tensor: norm, expected: [32], actual: [31])
    ) { try BertEncoder(folder: misshapen) }
  }

  @Test func inputsOutsideTheModelAreRefused() throws {
    let encoder = try BertEncoder(folder: try tinyBertFolder())
    #expect(throws: PretrainedModelError.self) {
      try encoder.hiddenStates(TokenBatch(padding: [TokenEncoding(ids: [1, 64], tokenTypes: [0, 0])], paddingID: 0))
    }
    #expect(throws: PretrainedModelError.self) {
      try encoder.hiddenStates(TokenBatch(padding: [TokenEncoding(ids: [1, 2], tokenTypes: [0, 3])], paddingID: 0))
    }
    let long = [Int32](repeating: 1, count: 25)
    #expect(throws: PretrainedModelError.self) {
      try encoder.hiddenStates(TokenBatch(padding: [TokenEncoding(ids: long, tokenTypes: long.map { _ in 0 })], paddingID: 0))
    }
  }
}

@Suite struct MonarchFolderTests {
  /// A layer stored as Monarch factors runs as a Monarch layer: its hidden states equal those of the same
  /// folder with the factors' dense product as the weight.
  @Test func monarchFactorsLoadInPlaceOfAWeight() throws {
    let layer = "encoder.layer.0.intermediate.dense"
    let layout = try MonarchLayout(inFeatures: 32, outFeatures: 48, blocks: 4)
    var generator = SeededGenerator(seed: 3)
    func random(_ shape: [Int]) -> Tensor<Float> {
      Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -0.3...0.3, using: &generator) })
    }
    let (w1, w2) = (random(layout.firstFactorShape), random(layout.secondFactorShape))
    let dense = try MonarchMatrix(layout: layout, w1: w1, w2: w2).dense()
    let compressed = try editedCopy(tensors: { entries in
      entries.removeAll { $0.0 == layer + ".weight" }
      entries += [(layer + ".w1", try! TensorData(w1)), (layer + ".w2", try! TensorData(w2))]
    })
    let denseFolder = try editedCopy(tensors: { entries in
      entries[entries.firstIndex { $0.0 == layer + ".weight" }!].1 = try! TensorData(dense)
    })
    defer {
      try? FileManager.default.removeItem(at: compressed)
      try? FileManager.default.removeItem(at: denseFolder)
    }
    let batch = TokenBatch(
      padding: [TokenEncoding(ids: [1, 5, 9, 2], tokenTypes: [0, 0, 1, 1]), TokenEncoding(ids: [3, 4], tokenTypes: [0, 0])],
      paddingID: 0)
    let encoder = try BertEncoder(folder: compressed)
    #expect(encoder.parameters.slots.contains { $0.name == layer + ".w1" })
    let (actual, expected) = (try encoder.hiddenStates(batch), try BertEncoder(folder: denseFolder).hiddenStates(batch))
    #expect(zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-4 })

    let wrongWidth = try editedCopy(tensors: { entries in
      entries.removeAll { $0.0 == layer + ".weight" }
      let other = try! MonarchLayout(inFeatures: 32, outFeatures: 32, blocks: 4)
      entries += [
        (layer + ".w1", try! TensorData(random(other.firstFactorShape))),
        (layer + ".w2", try! TensorData(random(other.secondFactorShape))),
      ]
    })
    defer { try? FileManager.default.removeItem(at: wrongWidth) }
    #expect(
      throws: PretrainedModelError.tensorShapeMismatch(
        file: wrongWidth.appendingPathComponent("model.safetensors").path, tensor: layer, expected: [48, 32],
        actual: [32, 32])
    ) { try BertEncoder(folder: wrongWidth) }
  }
}
