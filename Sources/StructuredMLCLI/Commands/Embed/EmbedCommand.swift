import Foundation
import Pretrained
import TensorCore
import TensorFiles

/// `structml embed`: sentence embeddings of a text file with a BERT-family model folder, written as `.npy`.
enum EmbedCommand {
  static let command = Command(
    path: ["embed"],
    summary: "sentence embeddings from a Hugging Face BERT-family model folder, as sentence-transformers makes them",
    options: [
      EmbedSettings.modelOption,
      .input("input", "SENTENCES.txt", "one sentence per line (UTF-8)"),
      .output("output", "EMB.npy", "the embeddings, float32 of shape (sentences, hidden)"),
      .value("pooling", "mean|cls", "mean of the token states (default; the folder's pooling module if it has one) or [CLS]"),
      .flag("normalize", "L2-normalize each embedding (on by default where the folder's pipeline normalizes)"),
      .value("batch", "B", "sentences per forward pass (default 32)"),
      .value("max-length", "N", "truncate encodings to N tokens (default: the folder's max_seq_length, else the model's)"),
    ],
    notes: """
      Lines are split on newlines only; a trailing newline does not make an empty last sentence. Sentences are
      lower-cased, split into WordPiece tokens and truncated as the folder's tokenizer files say, run through
      the encoder in batches padded to their longest sentence, and pooled over the real tokens.
      """
  ) { arguments, console in
    let settings = try EmbedSettings(arguments)
    let sentences = try EmbedSettings.readSentences(settings.inputPath)
    let embedder = try settings.loadEmbedder()
    let start = DispatchTime.now().uptimeNanoseconds
    let embeddings: [Float]
    do {
      embeddings = try embedder.embed(sentences, batchSize: settings.batchSize)
    } catch {
      throw CommandError.failure("\(settings.inputPath): \(error)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    try OutputPaths.write("output", of: arguments) { url, inputs in
      try NPYFile.write(
        try TensorData(Tensor(shape: [sentences.count, embedder.dimension], scalars: embeddings)), to: url,
        protectedInputs: inputs)
    }
    let outputPath = try arguments.requiredString("output")
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("model", .string(settings.modelPath)), ("sentences", .int(sentences.count)),
          ("dimension", .int(embedder.dimension)), ("pooling", .string(embedder.pooling.rawValue)),
          ("normalized", .bool(embedder.normalizes)), ("max_length", .int(embedder.maximumLength)),
          ("seconds", .number(seconds)), ("output", .string(outputPath)),
        ]).serialized())
    } else {
      console.print(
        "wrote \(TerminalText.escaped(outputPath)): \(sentences.count) embedding(s) of \(embedder.dimension), "
          + "\(embedder.pooling.rawValue) pooling\(embedder.normalizes ? ", normalized" : "") "
          + "(\(String(format: "%.2f", seconds)) s)")
    }
  }
}
