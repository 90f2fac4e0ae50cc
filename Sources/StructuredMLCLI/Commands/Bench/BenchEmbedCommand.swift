import Foundation
import Pretrained
import TensorCore

/// `structml bench embed`: sentences per second of the sentence-embedding pipeline (tokenizer, encoder,
/// pooling) of a BERT-family model folder, on a fixed synthetic workload that benchmarks/embed_torch.py
/// reproduces for sentence-transformers.
enum BenchEmbedCommand {
  static let command = Command(
    path: ["bench", "embed"],
    summary: "sentences per second of the sentence-embedding pipeline of a BERT-family model folder",
    options: [
      EmbedSettings.modelOption,
      .value("sentences", "N", "synthetic sentences of 8 to 31 words (default 256)"),
      .value("batch", "B", "sentences per forward pass (default 32)"),
      .value("rounds", "R", "timed passes over the sentences; the median is reported (default 5)"),
    ],
    notes: """
      Sentence i has 8 + (7·i mod 24) words, word j of it being WORDS[(13·i + 5·j) mod 32] of a fixed list:
      benchmarks/embed_torch.py builds the same sentences for sentence-transformers. Each thread policy is timed
      (single-threaded BLAS under the kernels' own parallel loops, and BLAS on every core) and the faster is
      reported with its thread count.
      """
  ) { arguments, console in
    let modelPath = try arguments.requiredString("model")
    let count = try arguments.int("sentences", default: 256, in: 1...1 << 20)!
    let batchSize = try arguments.int("batch", default: 32, in: 1...65536)!
    let rounds = try arguments.int("rounds", default: 5, in: 1...101)!
    let embedder: SentenceEmbedder
    do {
      embedder = try SentenceEmbedder(folder: URL(fileURLWithPath: modelPath))
    } catch {
      throw CommandError.failure("option '--model': \(modelPath): \(error)")
    }
    let sentences = syntheticSentences(count)
    var failure: (any Error)?
    var best = (seconds: Double.infinity, threads: 1)
    for threads in Array(Set([1, processorCount])).sorted() {
      BLASThreads.set(threads)
      let seconds = BenchmarkTimer.median(warmup: 1, samples: rounds) { () -> Int in
        do { return try embedder.embed(sentences, batchSize: batchSize).count } catch {
          failure = error
          return 0
        }
      }
      if seconds < best.seconds { best = (seconds, threads) }
    }
    if let failure { throw CommandError.failure("\(modelPath): \(failure)") }
    let perSecond = Double(count) / best.seconds
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("model", .string(modelPath)), ("sentences", .int(count)), ("batch", .int(batchSize)),
          ("rounds", .int(rounds)), ("seconds", .number(best.seconds)), ("sentences_per_second", .number(perSecond)),
          ("blas_threads", .int(best.threads)), ("cores", .int(processorCount)),
        ]).serialized())
    } else {
      console.print(
        String(
          format: "%d sentences, batch %d: %.3f s per pass, %.1f sentences/s (median of %d; %d BLAS thread(s), %d core(s))",
          count, batchSize, best.seconds, perSecond, rounds, best.threads, processorCount))
    }
  }

  /// The words of the synthetic workload.
  static let words = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "models", "learn", "structured", "matrices",
    "from", "data", "while", "people", "read", "papers", "about", "fast", "attention", "and", "sparse", "weights",
    "in", "a", "small", "city", "near", "river", "today", "again",
  ]

  /// Sentence `i` has `8 + (7·i mod 24)` words, word `j` being `words[(13·i + 5·j) mod 32]`.
  static func syntheticSentences(_ count: Int) -> [String] {
    (0..<count).map { i in
      (0..<(8 + (7 * i) % 24)).map { j in words[(13 * i + 5 * j) % words.count] }.joined(separator: " ") + "."
    }
  }
}
