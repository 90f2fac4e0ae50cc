import Foundation
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

@Suite("structml train and eval", .serialized)
struct TrainCommandTests {
  let folder: URL

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("train-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let config = """
      {"model": {"type": "mlp", "input_features": 8, "hidden_features": [16], "classes": 4},
       "data": {"type": "teacher", "examples": 400, "features": 8, "classes": 4, "teacher_hidden": 8, "seed": 1},
       "training": {"batch_size": 32, "learning_rate": 0.02, "evaluation_interval": 10, "checkpoint_interval": 10, "warmup_steps": 3,
                    "held_out_fraction": 0.25}}
      """
    try Data(config.utf8).write(to: folder.appendingPathComponent("small.json"))
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) { runInProcess(arguments) }

  func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  func train(_ output: String, _ extra: [String]) -> (status: Int32, out: String, error: String) {
    run(["train", "--config", path("small.json"), "--output", path(output), "--json"] + extra)
  }

  @Test func trainsTheBuiltInTaskAndWritesTheRunFolder() throws {
    let result = train("run", ["--steps", "60", "--mlp", "monarch", "--blocks", "2", "--threads", "1"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    let initial = try #require(report["initial_loss"] as? Double)
    let final = try #require(report["final_eval_loss"] as? Double)
    let best = try #require(report["best_possible_loss"] as? Double)
    #expect(abs(initial - log(4.0)) < 0.3, "initial \(initial) should be near log 4")
    #expect(final < initial - 0.1 && final > best - 0.1, "initial \(initial), final \(final), best \(best)")
    #expect(report["steps"] as? Int == 60)
    #expect(try #require(report["tokens_per_second"] as? Double) > 0)
    #expect(report["final_train_loss"] is Double && report["seconds"] is Double)
    for file in ["model.safetensors", "optimizer.safetensors", "config.json", "state.json", "loss.json", "loss.svg"] {
      #expect(FileManager.default.fileExists(atPath: path("run/\(file)")), "\(file) missing")
    }
    let model = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("run/model.safetensors")))
    #expect(try model.info(named: "hidden.0.w1").shape == [2, 4, 4])
    #expect(try model.info(named: "output.weight").shape == [4, 16])
    let curve = try parse(try String(contentsOfFile: path("run/loss.json"), encoding: .utf8))
    #expect((curve["train_loss"] as? [Double])?.count == 60)
    #expect((curve["evaluations"] as? [[String: Any]])?.count == 7)
    #expect(try String(contentsOfFile: path("run/loss.svg"), encoding: .utf8).contains("<svg"))

    // eval reproduces the final held-out loss exactly.
    let evaluated = run(["eval", "--checkpoint", path("run"), "--json"])
    #expect(evaluated.status == 0, "\(evaluated.error)")
    #expect(try parse(evaluated.out)["loss"] as? Double == final)
  }

  @Test func resumedRunMatchesAnUninterruptedOneBitForBit() throws {
    // The config's warmup is 3 steps, so the cosine part of the schedule depends on the total of 20 steps.
    #expect(train("whole", ["--steps", "20"]).status == 0)
    let first = train("parts", ["--steps", "20", "--until", "7"])
    #expect(first.status == 0, "\(first.error)")
    #expect(try parse(first.out)["steps"] as? Int == 7)
    let resumed = run(["train", "--output", path("parts"), "--resume", "--json"])
    #expect(resumed.status == 0, "\(resumed.error)")
    #expect(try parse(resumed.out)["steps"] as? Int == 20)
    for file in ["model.safetensors", "optimizer.safetensors"] {
      let (a, b) = (
        try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("whole/\(file)"))),
        try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("parts/\(file)")))
      )
      #expect(a.tensors.map(\.name).sorted() == b.tensors.map(\.name).sorted())
      for info in a.tensors {
        #expect(try a.tensorData(named: info.name).bytes == b.tensorData(named: info.name).bytes, "\(file): \(info.name)")
      }
    }
  }

  @Test func trainsOnNPYFiles() throws {
    var generator = SeededGenerator(seed: 2)
    let x = Tensor<Float>.normal(shape: [64, 3], using: &generator)
    let labels = (0..<64).map { Int64(x.scalars[$0 * 3] > 0 ? 1 : 0) }
    try NPYFile.write(try TensorData(x), to: URL(fileURLWithPath: path("x.npy")))
    try NPYFile.write(
      try TensorData(dtype: .int64, shape: [64], bytes: labels.withUnsafeBytes { [UInt8]($0) }),
      to: URL(fileURLWithPath: path("y.npy")))
    let result = run([
      "train", "--data", path("x.npy"), "--labels", path("y.npy"), "--steps", "40", "--batch", "16", "--lr", "0.03",
      "--output", path("npy"), "--json",
    ])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    #expect(report["best_possible_loss"] is NSNull)
    #expect(try #require(report["final_eval_loss"] as? Double) < 0.5, "a sign threshold is easy: \(report)")
    let evaluated = run(["eval", "--checkpoint", path("npy"), "--data", path("x.npy"), "--labels", path("y.npy"), "--json"])
    #expect(evaluated.status == 0, "\(evaluated.error)")
    #expect(try #require(parse(evaluated.out)["accuracy"] as? Double) > 0.8)

    // Too few examples for one batch: a failure naming the file, before any training.
    let short = run(["train", "--data", path("x.npy"), "--labels", path("y.npy"), "--batch", "64", "--output", path("short")])
    #expect(short.status == 1 && short.error.contains("x.npy") && short.error.contains("too few"), "\(short.error)")
    #expect(!FileManager.default.fileExists(atPath: path("short")))
  }

  @Test func badInputStopsBeforeTrainingNamingTheFlagOrFile() throws {
    let cases: [([String], Int32, String)] = [
      (["--mlp", "sparse"], 2, "--mlp"),
      (["--mlp", "monarch", "--blocks", "9"], 2, "--blocks"),
      (["--blocks", "2"], 2, "--blocks"),
      (["--model", "rnn"], 2, "--model"),
      (["--steps", "0"], 2, "--steps"),
      (["--data", path("x.npy")], 2, "--labels"),
      (["--data", path("missing.npy"), "--labels", path("missing2.npy")], 1, "missing.npy"),
      (["--config", path("absent.json")], 1, "absent.json"),
    ]
    for (arguments, status, named) in cases {
      let result = run(["train", "--output", path("bad")] + arguments)
      #expect(result.status == status && result.error.contains(named), "\(arguments): \(result.status) \(result.error)")
    }
    #expect(!FileManager.default.fileExists(atPath: path("bad")))
    try Data("a file".utf8).write(to: URL(fileURLWithPath: path("plain")))
    let notAFolder = run(["train", "--config", path("small.json"), "--output", path("plain"), "--steps", "2"])
    #expect(notAFolder.status == 1 && notAFolder.error.contains("plain"), "\(notAFolder.error)")

    #expect(train("done", ["--steps", "2"]).status == 0)
    let again = train("done", ["--steps", "2"])
    #expect(again.status == 2 && again.error.contains("--resume"), "\(again.error)")
    let finished = run(["train", "--output", path("done"), "--resume"])
    #expect(finished.status == 2 && finished.error.contains("--steps"), "\(finished.error)")
    let early = run(["train", "--output", path("late"), "--config", path("small.json"), "--steps", "5", "--until", "6"])
    #expect(early.status == 2 && early.error.contains("--until"), "\(early.error)")
    let redefined = run(["train", "--output", path("done"), "--resume", "--lr", "0.1"])
    #expect(redefined.status == 2 && redefined.error.contains("--lr"), "\(redefined.error)")

    // A configuration whose tensors do not match the checkpoint: the error names the tensor.
    let configURL = URL(fileURLWithPath: path("done/config.json"))
    let edited = try String(contentsOf: configURL, encoding: .utf8).replacingOccurrences(of: "\"classes\" : 4,\n    \"hidden", with: "\"classes\" : 5,\n    \"hidden")
    try Data(edited.utf8).write(to: configURL)
    let mismatch = run(["eval", "--checkpoint", path("done")])
    #expect(mismatch.status == 1 && mismatch.error.contains("output.weight"), "\(mismatch.error)")
  }

  @Test func benchTrainReportsTheFiveVariantsAndTheirParameterCounts() throws {
    let result = run(["bench", "train", "--width", "64", "--batch", "8", "--lm-width", "16", "--rounds", "1", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    for key in [
      "dense_step_seconds", "monarch_step_seconds", "monarch16_step_seconds", "monarch_ratio", "monarch16_ratio",
      "lm_dense_step_seconds", "lm_monarch_step_seconds", "lm_monarch_ratio",
    ] {
      #expect((report[key] as? Double ?? 0) > 0, "\(key)")
    }
    // 64 → 256 → 64 with 64 classes: dense 64·256 + 256 + 256·64 + 64; Monarch, 4 blocks (rank 4): each layer
    // k·q·(p + s) = 4·16·(16 + 64) and 4·16·(64 + 16), plus the biases.
    #expect(report["dense_parameters"] as? Int == 64 * 256 + 256 + 256 * 64 + 64)
    #expect(report["monarch_parameters"] as? Int == 2 * 4 * 16 * 80 + 256 + 64)
    // The LM at width 16, 4 layers, context 64, bytes: wte 256·16, wpe 64·16, per block two LayerNorms (64),
    // c_attn 48·16 + 48, attn.c_proj 16·16 + 16, and the MLP; ln_f 32. Dense MLP: 64·16 + 64 + 16·64 + 16;
    // Monarch (4 blocks, rank max(1, 16/4²) = 1): 16 → 64 is k·q·(p + s) = 4·4·(4 + 16), 64 → 16 the same,
    // plus the biases.
    let shared = 256 * 16 + 64 * 16 + 32 + 4 * (64 + 48 * 16 + 48 + 16 * 16 + 16)
    #expect(report["lm_dense_parameters"] as? Int == shared + 4 * (64 * 16 + 64 + 16 * 64 + 16))
    #expect(report["lm_monarch_parameters"] as? Int == shared + 4 * (2 * 4 * 4 * 20 + 64 + 16))
    let bad = run(["bench", "train", "--width", "20"])
    #expect(bad.status == 2 && bad.error.contains("--width"), "\(bad.error)")
    let badLM = run(["bench", "train", "--width", "64", "--lm-width", "18"])
    #expect(badLM.status == 2 && badLM.error.contains("--lm-width"), "\(badLM.error)")
  }
}
