import Foundation
import Pretrained
import TensorCore
import TensorFiles
import TestSupport
import Testing

/// A tiny random BERT folder with a WordPiece vocabulary, written for the `embed` tests.
private func writeTinyModel(into folder: URL) throws {
  let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "on", "mat", ".", "##s", "a"]
  try (vocabulary.joined(separator: "\n") + "\n").write(
    to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
  let (h, i, positions) = (8, 16, 16)
  let config: [String: Any] = [
    "model_type": "bert", "vocab_size": vocabulary.count, "hidden_size": h, "num_hidden_layers": 1,
    "num_attention_heads": 2, "intermediate_size": i, "max_position_embeddings": positions, "type_vocab_size": 2,
    "layer_norm_eps": 1e-12, "hidden_act": "gelu",
  ]
  try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
  var generator = SeededGenerator(seed: 17)
  func tensor(_ shape: [Int], around center: Float = 0) throws -> TensorData {
    try TensorData(
      Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in center + Float.random(in: -0.5...0.5, using: &generator) }))
  }
  var tensors: [(String, TensorData)] = [
    ("embeddings.word_embeddings.weight", try tensor([vocabulary.count, h])),
    ("embeddings.position_embeddings.weight", try tensor([positions, h])),
    ("embeddings.token_type_embeddings.weight", try tensor([2, h])),
  ]
  for norm in ["embeddings.LayerNorm", "encoder.layer.0.attention.output.LayerNorm", "encoder.layer.0.output.LayerNorm"] {
    tensors += [("\(norm).weight", try tensor([h], around: 1)), ("\(norm).bias", try tensor([h]))]
  }
  let linears = [
    ("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
    ("attention.output.dense", h, h), ("intermediate.dense", h, i), ("output.dense", i, h),
  ]
  for (name, input, output) in linears {
    tensors += [
      ("encoder.layer.0.\(name).weight", try tensor([output, input])), ("encoder.layer.0.\(name).bias", try tensor([output])),
    ]
  }
  try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
}

@Suite struct EmbedCommandTests {
  let folder: TemporaryFolder

  init() throws {
    folder = try TemporaryFolder()
    try FileManager.default.createDirectory(at: folder.file("model"), withIntermediateDirectories: true)
    try writeTinyModel(into: folder.file("model"))
    try "the cat sat on the mat.\na cat\nmats\n".write(to: folder.file("sentences.txt"), atomically: true, encoding: .utf8)
  }

  @Test func writesTheLibrarysEmbeddings() throws {
    defer { folder.cleanUp() }
    let output = folder.file("emb.npy").path
    let result = runInProcess([
      "embed", "--model", folder.file("model").path, "--input", folder.file("sentences.txt").path, "--output", output,
      "--normalize", "--batch", "2", "--json",
    ])
    #expect(result.status == 0, "\(result.error)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    #expect(json["sentences"] as? Int == 3 && json["dimension"] as? Int == 8 && json["normalized"] as? Bool == true)
    let written = try NPYFile.read(URL(fileURLWithPath: output)).tensor(as: Float.self)
    #expect(written.shape == [3, 8])
    var embedder = try SentenceEmbedder(folder: folder.file("model"))
    #expect(embedder.pooling == .mean && !embedder.normalizes)
    embedder.normalizes = true
    let expected = try embedder.embed(["the cat sat on the mat.", "a cat", "mats"], batchSize: 3)
    #expect(zip(written.scalars, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
    for row in 0..<3 {
      let norm = written.scalars[row * 8..<(row + 1) * 8].reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(norm - 1) <= 1e-5)
    }
    // [CLS] pooling writes the first token's state.
    let cls = runInProcess([
      "embed", "--model", folder.file("model").path, "--input", folder.file("sentences.txt").path, "--output",
      folder.file("cls.npy").path, "--pooling", "cls",
    ])
    #expect(cls.status == 0, "\(cls.error)")
    embedder.normalizes = false
    let hidden = try embedder.encoder.hiddenStates(try embedder.tokenizer.encodeBatch(["a cat"]))
    let clsWritten = try NPYFile.read(folder.file("cls.npy")).tensor(as: Float.self)
    // Alone the sentence pads to another length, so the products may round differently.
    #expect(zip(clsWritten.scalars[8..<16], hidden[0..<8]).allSatisfy { abs($0 - $1) <= 1e-5 })
  }

  @Test func badFlagsAreUsageErrorsAndAMissingModelFails() throws {
    defer { folder.cleanUp() }
    let base = ["embed", "--model", folder.file("model").path, "--input", folder.file("sentences.txt").path]
    for extra in [["--pooling", "max"], ["--batch", "0"], ["--max-length", "1"], ["--max-length", "17"], ["--bogus"]] {
      let result = runInProcess(base + ["--output", folder.file("e.npy").path] + extra)
      #expect(result.status == 2, "\(extra): \(result.error)")
    }
    #expect(runInProcess(base).status == 2)
    let missing = folder.file("no-such-model").path
    let result = runInProcess([
      "embed", "--model", missing, "--input", folder.file("sentences.txt").path, "--output", folder.file("e.npy").path,
    ])
    #expect(result.status == 1)
    #expect(result.error.contains(missing), "\(result.error)")
    #expect(!FileManager.default.fileExists(atPath: folder.file("e.npy").path))
  }
}
