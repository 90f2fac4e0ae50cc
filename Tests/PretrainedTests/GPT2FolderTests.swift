import Foundation
import NN
import Pretrained
import TensorCore
import TensorFiles
import Testing
import TestSupport

@Suite struct GPT2FolderTests {
  private struct Expected: Decodable {
    struct Generation: Decodable {
      let prompt: String
      let promptIDs: [Int32]
      let generated: [Int32]
      let text: String
      private enum CodingKeys: String, CodingKey { case prompt, promptIDs = "prompt_ids", generated, text }
    }
    let sequences: [[Int32]]
    let generations: [Generation]
  }

  private func expected() throws -> Expected {
    let data = try Data(contentsOf: try tinyGPT2Folder().appendingPathComponent("model_expected.json"))
    return try JSONDecoder().decode(Expected.self, from: data)
  }

  @Test func configurationMapsOntoTheLanguageModel() throws {
    let gpt2 = try GPT2Folder(try tinyGPT2Folder())
    let configuration = gpt2.model.configuration
    #expect(configuration.width == 32 && configuration.layers == 2 && configuration.contextLength == 64)
    #expect(configuration.vocabularySize == gpt2.tokenizer.vocabularySize)
    #expect(configuration.layerNormEpsilon == 1e-3)
    #expect(configuration.gelu == .tanh)
    #expect(configuration.mixer == .attention(heads: 2, normalizer: .softmax, positions: .learned))
  }

  @Test func logitsEqualPyTorchs() throws {
    let gpt2 = try GPT2Folder(try tinyGPT2Folder())
    let reference = try SafetensorsFile(
      contentsOf: try tinyGPT2Folder().appendingPathComponent("model_expected_logits.safetensors"))
    let sequences = try expected().sequences
    #expect(sequences.count == 5 && sequences.last?.count == 64)
    for (index, ids) in sequences.enumerated() {
      let logits = try gpt2.model.logits(for: ids)
      let torch = try reference.tensorData(named: "logits.\(index)").tensor(as: Float.self)
      let result = discrepancy(logits, torch, absoluteTolerance: 1e-5, relativeTolerance: 1e-5)
      #expect(result.isWithinTolerance, "sequence \(index): \(result)")
    }
  }

  @Test func greedyGenerationEqualsTransformers() throws {
    let gpt2 = try GPT2Folder(try tinyGPT2Folder())
    for generation in try expected().generations {
      var generator = SeededGenerator(seed: 0)
      let result = try gpt2.generate(
        prompt: generation.prompt, tokens: generation.generated.count, temperature: 0, using: &generator)
      #expect(result.prompt == generation.promptIDs)
      #expect(result.generated == generation.generated, "\(generation.prompt)")
      #expect(try gpt2.tokenizer.decode(result.prompt + result.generated) == generation.text)
    }
  }

  /// A copy of the fixture folder whose `config.json` fields and tensors the closures change.
  private func alteredFolder(
    configuration: (inout [String: Any]) -> Void = { _ in },
    tensors: (inout [(name: String, data: TensorData)]) throws -> Void = { _ in }
  ) throws -> TemporaryFolder {
    let folder = try TemporaryFolder()
    let source = try tinyGPT2Folder()
    for name in ["vocab.json", "merges.txt"] {
      try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.file(name))
    }
    var fields = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
    configuration(&fields)
    try JSONSerialization.data(withJSONObject: fields).write(to: folder.file("config.json"))
    let weights = try SafetensorsFile(contentsOf: source.appendingPathComponent("model.safetensors"))
    var entries = try weights.names.map { (name: $0, data: try weights.tensorData(named: $0)) }
    try tensors(&entries)
    let writer = try SafetensorsWriter(
      url: folder.file("model.safetensors"), entries: entries.map { ($0.name, $0.data.dtype, $0.data.shape) })
    for entry in entries { try writer.append(name: entry.name, data: entry.data) }
    try writer.finish()
    return folder
  }

  @Test func weightsWithoutThePrefixAndWithBuffersLoadTheSame() throws {
    let folder = try alteredFolder(tensors: { entries in
      entries = entries.map { (String($0.name.dropFirst("transformer.".count)), $0.data) }
      entries.append(("h.0.attn.bias", try TensorData(Tensor<Float>(repeating: 1, shape: [1, 1, 64, 64]))))
    })
    defer { folder.cleanUp() }
    let plain = try GPT2Folder(folder.url)
    let original = try GPT2Folder(try tinyGPT2Folder())
    let ids: [Int32] = [5, 17, 300, 2]
    #expect(try plain.model.logits(for: ids) == original.model.logits(for: ids))
  }

  @Test func badTensorsAreNamed() throws {
    let missing = try alteredFolder(tensors: { $0.removeAll { $0.name == "transformer.h.1.mlp.c_fc.weight" } })
    defer { missing.cleanUp() }
    let weights = missing.file("model.safetensors").path
    #expect(throws: PretrainedModelError.missingTensor(file: weights, tensor: "transformer.h.1.mlp.c_fc.weight")) {
      try GPT2Folder(missing.url)
    }
    // A weight stored out x in (nn.Linear's layout) instead of Conv1D's in x out.
    let transposed = try alteredFolder(tensors: { entries in
      let index = try #require(entries.firstIndex { $0.name == "transformer.h.0.mlp.c_fc.weight" })
      entries[index].data = try TensorData(entries[index].data.tensor(as: Float.self).transposed())
    })
    defer { transposed.cleanUp() }
    #expect(throws: PretrainedModelError.tensorShapeMismatch(
      file: transposed.file("model.safetensors").path, tensor: "transformer.h.0.mlp.c_fc.weight",
      expected: [32, 128], actual: [128, 32])) {
      try GPT2Folder(transposed.url)
    }
    let extra = try alteredFolder(tensors: { $0.append(("transformer.h.0.attn.q_proj.weight", $0[0].data)) })
    defer { extra.cleanUp() }
    #expect(throws: PretrainedModelError.unexpectedTensor(
      file: extra.file("model.safetensors").path, tensor: "transformer.h.0.attn.q_proj.weight")) {
      try GPT2Folder(extra.url)
    }
    let nonFinite = try alteredFolder(tensors: { entries in
      let index = try #require(entries.firstIndex { $0.name == "transformer.ln_f.bias" })
      var values = try entries[index].data.tensor(as: Float.self)
      values = Tensor(shape: values.shape, scalars: [Float.nan] + values.scalars.dropFirst())
      entries[index].data = try TensorData(values)
    })
    defer { nonFinite.cleanUp() }
    #expect(throws: PretrainedModelError.nonFiniteTensor(
      file: nonFinite.file("model.safetensors").path, tensor: "transformer.ln_f.bias")) {
      try GPT2Folder(nonFinite.url)
    }
  }

  @Test func unsupportedConfigurationsAreNamed() throws {
    let cases: [(change: (inout [String: Any]) -> Void, error: (String) -> PretrainedModelError)] = [
      ({ $0["model_type"] = "llama" },
       { .unsupportedArchitecture(file: $0, architecture: "llama", supported: ["gpt2"]) }),
      ({ $0["scale_attn_by_inverse_layer_idx"] = true },
       { .invalidConfiguration(
           file: $0, field: "scale_attn_by_inverse_layer_idx",
           reason: "attention scaled by 1/(layer index + 1) is not supported") }),
      ({ $0["tie_word_embeddings"] = false },
       { .invalidConfiguration(file: $0, field: "tie_word_embeddings", reason: "an output head separate from wte is not supported") }),
      ({ $0["activation_function"] = "relu" },
       { .invalidConfiguration(
           file: $0, field: "activation_function",
           reason: "'relu' is not supported (supported: gelu_new, gelu_pytorch_tanh, gelu_fast, gelu)") }),
      ({ $0["n_embd"] = nil },
       { .invalidConfiguration(file: $0, field: "n_embd", reason: "expected a positive integer, got nothing") }),
      ({ $0["n_head"] = 3 },
       { .invalidConfiguration(file: $0, field: "n_head", reason: "3 heads do not divide n_embd 32") }),
      ({ $0["n_layer"] = "two" }, { .invalidConfiguration(file: $0, field: "n_layer", reason: "expected Int") }),
    ]
    for (change, error) in cases {
      let folder = try alteredFolder(configuration: change)
      defer { folder.cleanUp() }
      #expect(throws: error(folder.file("config.json").path)) { try GPT2Folder(folder.url) }
    }
  }

  @Test func missingFolderIsNamed() {
    let folder = URL(fileURLWithPath: "/nonexistent/gpt2-folder")
    #expect(throws: PretrainedModelError.unreadableFile(file: folder.path, reason: "not a folder")) {
      try GPT2Folder(folder)
    }
  }
}
