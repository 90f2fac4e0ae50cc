import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

@Suite("structml train, eval and generate with language models", .serialized)
struct LanguageModelCommandTests {
  let folder: URL

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("lm-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let text = String(repeating: "the cat sat on the mat; the dog sat on the log.\n", count: 40)
    try Data(text.utf8).write(to: folder.appendingPathComponent("text.txt"))
    // A sharp first-order chain of 8 symbols: a tiny model gets well below the uniform loss in 40 steps.
    let chain = """
      {"data": {"type": "markov_chain", "symbols": 8, "order": 1, "sharpness": 3, "training_tokens": 8192,
                "held_out_tokens": 1024},
       "training": {"warmup_steps": 2, "evaluation_interval": 0}}
      """
    try Data(chain.utf8).write(to: folder.appendingPathComponent("chain.json"))
    let mlp = """
      {"data": {"type": "teacher", "examples": 200, "features": 8, "classes": 4, "teacher_hidden": 8}}
      """
    try Data(mlp.utf8).write(to: folder.appendingPathComponent("mlp.json"))
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) { runInProcess(arguments) }

  func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// A tiny Transformer: width 16, one block, two heads, context 16, batch 8.
  static let tiny = ["--width", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "8", "--threads", "1"]

  @Test func trainsOnTheBuiltInChainAndEvalReproducesTheFinalLoss() throws {
    let result = run(
      ["train", "--model", "transformer", "--config", path("chain.json"), "--output", path("chain"), "--steps", "40",
       "--lr", "0.03", "--mlp", "monarch", "--blocks", "2", "--json"] + Self.tiny)
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    let initial = try #require(report["initial_loss"] as? Double)
    let final = try #require(report["final_eval_loss"] as? Double)
    let best = try #require(report["best_possible_loss"] as? Double)
    // 8 symbols: an untrained model is near the uniform loss log 8.
    #expect(abs(initial - log(8.0)) < 0.2, "initial \(initial)")
    #expect(final < initial - 0.5 && final > best - 0.05, "initial \(initial), final \(final), best \(best)")
    let task = MarkovChainTask(symbols: 8, order: 1, sharpness: 3, trainingTokens: 8192, heldOutTokens: 1024, seed: 0)
    let chain = try #require(try task.makeDataset().chain)
    #expect(abs(best - chain.bestPossibleLoss(sequenceLength: 16)) < 1e-12)
    #expect(report["model"] as? String == "transformer" && report["steps"] as? Int == 40)
    #expect(try #require(report["tokens_per_second"] as? Double) > 0)
    #expect(report["final_train_loss"] is Double && report["seconds"] is Double)
    let model = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("chain/model.safetensors")))
    // w1 is (k, ρ·l, p) = (2, 8, 8) for 16 → 64 at 2 blocks (slice rank 4).
    #expect(try model.info(named: "transformer.h.0.mlp.c_fc.w1").shape == [2, 8, 8])
    #expect(try model.info(named: "transformer.wte.weight").shape == [8, 16])

    let evaluated = run(["eval", "--checkpoint", path("chain"), "--json"])
    #expect(evaluated.status == 0, "\(evaluated.error)")
    let evaluation = try parse(evaluated.out)
    #expect(evaluation["loss"] as? Double == final)
    #expect(evaluation["best_possible_loss"] as? Double == best)

    // A state-space LM with the RTF kernel trains too.
    let ssm = run(
      ["train", "--model", "ssm", "--mixer", "rtf", "--output", path("ssm"), "--steps", "3", "--json", "--width", "16",
       "--layers", "1", "--context", "16", "--batch", "4"])
    #expect(ssm.status == 0, "\(ssm.error)")
    #expect(try parse(ssm.out)["model"] as? String == "ssm")
  }

  @Test func generateIsDeterministicForASeedAndGreedyAtTemperatureZero() throws {
    let trained = run(
      ["train", "--model", "transformer", "--data", path("text.txt"), "--output", path("text"), "--steps", "20",
       "--lr", "0.02", "--json"] + Self.tiny)
    #expect(trained.status == 0, "\(trained.error)")
    // eval on the whole text file.
    let whole = run(["eval", "--checkpoint", path("text"), "--data", path("text.txt"), "--json"])
    #expect(whole.status == 0, "\(whole.error)")
    #expect(try parse(whole.out)["loss"] is Double)

    func generate(_ extra: [String]) -> (status: Int32, out: String, error: String) {
      run(["generate", "--checkpoint", path("text"), "--prompt", "the ", "--tokens", "10"] + extra)
    }
    let first = generate(["--seed", "3", "--temperature", "1.5"])
    #expect(first.status == 0, "\(first.error)")
    #expect(generate(["--seed", "3", "--temperature", "1.5"]).out == first.out)
    #expect(generate(["--seed", "4", "--temperature", "1.5"]).out != first.out)
    #expect(first.out.hasPrefix("the "))

    // Greedy: each byte is the argmax of the full forward pass over everything before it.
    let model = try GenerateCommand.loadByteLanguageModel(URL(fileURLWithPath: path("text")))
    var tokens = "the ".utf8.map { Int32($0) }
    for _ in 0..<10 {
      let logits = try model.logits(for: tokens)
      let last = Array(logits.scalars[(tokens.count - 1) * 256..<tokens.count * 256])
      tokens.append(Int32(last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) }!))
    }
    let greedy = generate(["--temperature", "0", "--seed", "9"])
    #expect(greedy.status == 0, "\(greedy.error)")
    #expect(greedy.out == GenerateCommand.printable(tokens.map { UInt8($0) }) + "\n")
  }

  /// The state-space LM generates in recurrent mode: greedy decoding must pick, at every step, the argmax of
  /// the convolutional forward pass over everything before it.
  @Test(arguments: ["s4d", "rtf"])
  func stateSpaceGenerationInRecurrentModeFollowsTheConvolutionalForwardPass(mixer: String) throws {
    let runFolder = path("ssm-\(mixer)")
    let trained = run(
      ["train", "--model", "ssm", "--mixer", mixer, "--data", path("text.txt"), "--output", runFolder, "--steps", "5",
       "--lr", "0.02", "--width", "16", "--layers", "1", "--context", "16", "--batch", "4", "--threads", "1"])
    #expect(trained.status == 0, "\(trained.error)")
    let model = try GenerateCommand.loadByteLanguageModel(URL(fileURLWithPath: runFolder))
    var tokens = "the ".utf8.map { Int32($0) }
    // 12 new tokens: the last ones see a 16-token window, the whole context.
    for _ in 0..<12 {
      let logits = try model.logits(for: tokens)
      let last = Array(logits.scalars[(tokens.count - 1) * 256..<tokens.count * 256])
      tokens.append(Int32(last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) }!))
    }
    let greedy = run(["generate", "--checkpoint", runFolder, "--prompt", "the ", "--tokens", "12", "--temperature", "0"])
    #expect(greedy.status == 0, "\(greedy.error)")
    #expect(greedy.out == GenerateCommand.printable(tokens.map { UInt8($0) }) + "\n")
  }

  @Test func dumpedLogitsGiveTheEvaluationLoss() throws {
    // 33 held-out tokens: two windows of 16 in one batch, so the dump covers every evaluated target.
    let task = MarkovChainTask(symbols: 8, order: 1, sharpness: 3, trainingTokens: 2048, heldOutTokens: 33, seed: 5)
    let config = """
      {"data": {"type": "markov_chain", "symbols": 8, "order": 1, "sharpness": 3, "training_tokens": 2048,
                "held_out_tokens": 33, "seed": 5}}
      """
    try Data(config.utf8).write(to: URL(fileURLWithPath: path("dump.json")))
    let trained = run(
      ["train", "--model", "transformer", "--config", path("dump.json"), "--output", path("dump"), "--steps", "3"] + Self.tiny)
    #expect(trained.status == 0, "\(trained.error)")
    let evaluated = run(["eval", "--checkpoint", path("dump"), "--dump-logits", path("logits.safetensors"), "--json"])
    #expect(evaluated.status == 0, "\(evaluated.error)")
    let loss = try #require(try parse(evaluated.out)["loss"] as? Double)
    let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("logits.safetensors")))
    let heldOut = try task.makeDataset().heldOut
    let inputs = try file.tensorData(named: "inputs")
    #expect(inputs.shape == [2, 16] && inputs.dtype == .int64)
    let tokens = inputs.bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
    #expect(tokens == heldOut[0..<32].map(Int64.init))
    let logits = try file.tensorData(named: "logits").tensor(as: Float.self)
    #expect(logits.shape == [32, 8])
    // The mean cross-entropy of the dumped logits against the next tokens, in Double.
    var total = 0.0
    for row in 0..<32 {
      let values = (0..<8).map { Double(logits.scalars[row * 8 + $0]) }
      let largest = values.max()!
      let logSum = largest + log(values.reduce(0) { $0 + exp($1 - largest) })
      total += logSum - values[Int(heldOut[row + 1])]
    }
    #expect(abs(total / 32 - loss) < 1e-5, "\(total / 32) vs \(loss)")
  }

  @Test func anInterruptedLanguageModelRunResumesBitForBit() throws {
    let common = ["--model", "transformer", "--config", path("chain.json"), "--steps", "6", "--width", "8",
      "--layers", "1", "--heads", "2", "--context", "8", "--batch", "2", "--mlp", "monarch", "--blocks", "2"]
    #expect(run(["train", "--output", path("straight")] + common).status == 0)
    #expect(run(["train", "--output", path("resumed"), "--until", "3"] + common).status == 0)
    let resumed = run(["train", "--output", path("resumed"), "--resume"])
    #expect(resumed.status == 0, "\(resumed.error)")
    let straight = try Data(contentsOf: URL(fileURLWithPath: path("straight/model.safetensors")))
    #expect(try Data(contentsOf: URL(fileURLWithPath: path("resumed/model.safetensors"))) == straight)
    let optimizer = try Data(contentsOf: URL(fileURLWithPath: path("straight/optimizer.safetensors")))
    #expect(try Data(contentsOf: URL(fileURLWithPath: path("resumed/optimizer.safetensors"))) == optimizer)
  }

  @Test func generatedBytesPrintAsTextWithInvalidUTF8Escaped() {
    #expect(GenerateCommand.printable(Array("é\n".utf8) + [0xFF, 0x5C, 0x1B, 0xC3]) == "é\n\\xFF\\\\\\u{1B}\\xC3")
    #expect(GenerateCommand.printable([0xE2, 0x82, 0x41]) == "\\xE2\\x82A")
  }

  @Test func flagsThatDoNotApplyAndSizesThatDoNotFitAreRefusedBeforeTraining() throws {
    try Data([0x61, 0xFF, 0x62]).write(to: URL(fileURLWithPath: path("latin1.txt")))
    try Data("too short".utf8).write(to: URL(fileURLWithPath: path("short.txt")))
    let cases: [([String], Int32, String)] = [
      (["--model", "ssm", "--normalizer", "entmax15"], 2, "--normalizer"),
      (["--model", "mlp", "--normalizer", "softmax"], 2, "--normalizer"),
      (["--model", "transformer", "--mixer", "s4d"], 2, "--mixer"),
      (["--model", "mlp", "--mixer", "rtf"], 2, "--mixer"),
      (["--model", "transformer", "--normalizer", "softmax", "--alpha", "1.5"], 2, "--alpha"),
      (["--model", "transformer", "--alpha", "1.5"], 2, "--alpha"),
      (["--model", "transformer", "--normalizer", "entmax"], 2, "--alpha"),
      (["--model", "transformer", "--normalizer", "entmax", "--alpha", "1"], 2, "--alpha"),
      (["--model", "transformer", "--normalizer", "fastmax"], 2, "--normalizer"),
      (["--model", "ssm", "--heads", "2"], 2, "--heads"),
      (["--model", "mlp", "--width", "8"], 2, "--width"),
      (["--model", "transformer", "--labels", path("y.npy")], 2, "--labels"),
      (["--model", "transformer", "--width", "16", "--heads", "3"], 2, "--heads"),
      (["--model", "transformer", "--width", "16", "--heads", "2", "--mlp", "monarch", "--blocks", "7"], 2, "--blocks"),
      (["--model", "ssm", "--width", "16", "--mlp", "monarch", "--blocks", "7"], 2, "--blocks"),
      (["--model", "ssm", "--mixer", "rtf", "--context", "1"], 2, "--context"),
      (["--model", "transformer", "--data", path("missing.txt")], 1, "missing.txt"),
      (["--model", "transformer", "--data", path("latin1.txt")], 1, "latin1.txt"),
      (["--model", "transformer", "--data", path("short.txt")], 1, "short.txt"),
    ]
    for (arguments, status, named) in cases {
      let result = run(["train", "--output", path("bad")] + arguments)
      #expect(result.status == status && result.error.contains(named), "\(arguments): \(result.status) \(result.error)")
    }
    #expect(!FileManager.default.fileExists(atPath: path("bad")))

    // generate needs a byte-level language model.
    #expect(run(["train", "--config", path("mlp.json"), "--output", path("mlp"), "--steps", "1", "--batch", "16"]).status == 0)
    let classifier = run(["generate", "--checkpoint", path("mlp"), "--prompt", "hi"])
    #expect(classifier.status == 1 && classifier.error.contains("classifier"), "\(classifier.error)")
    let chain = run(
      ["train", "--model", "transformer", "--config", path("chain.json"), "--output", path("chain"), "--steps", "1"] + Self.tiny)
    #expect(chain.status == 0, "\(chain.error)")
    let notBytes = run(["generate", "--checkpoint", path("chain"), "--prompt", "hi"])
    #expect(notBytes.status == 1 && notBytes.error.contains("--data"), "\(notBytes.error)")
    let labels = run(["eval", "--checkpoint", path("chain"), "--labels", path("y.npy")])
    #expect(labels.status == 2 && labels.error.contains("--labels"), "\(labels.error)")
    let noPrompt = run(["generate", "--checkpoint", path("chain")])
    #expect(noPrompt.status == 2 && noPrompt.error.contains("--prompt"), "\(noPrompt.error)")
  }
}
