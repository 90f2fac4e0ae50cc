import Foundation
import NN
import TensorCore
import Testing

@testable import StructuredMLCLI

@Suite("structml lora finetune", .serialized)
struct LoRAFinetuneCommandTests {
  let folder: URL
  /// The linear modules of the tiny Transformer.
  let modules = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].map { "transformer.h.0.\($0)" }

  /// Trains a tiny Transformer (width 16, one block, context 16) on a sharp 8-symbol Markov chain for 30 steps.
  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("lora-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let chain = """
      {"data": {"type": "markov_chain", "symbols": 8, "order": 1, "sharpness": 3, "training_tokens": 8192,
                "held_out_tokens": 1024},
       "training": {"warmup_steps": 2, "evaluation_interval": 0}}
      """
    try Data(chain.utf8).write(to: folder.appendingPathComponent("chain.json"))
    let trained = runInProcess(
      ["train", "--model", "transformer", "--config", path("chain.json"), "--output", path("lm"), "--steps", "30",
       "--lr", "0.01", "--width", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "8",
       "--threads", "1"])
    try #require(trained.status == 0, "\(trained.error)")
  }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  func finetune(_ extra: [String], output: String = "adapter") -> (status: Int32, out: String, error: String) {
    runInProcess(["lora", "finetune", "--base", path("lm"), "--output", path(output), "--threads", "1"] + extra)
  }

  func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func loraGAWritesARank2rPEFTAdapterAndTheLossFalls() throws {
    let result = finetune(["--init", "lora-ga", "--rank", "2", "--steps", "20", "--gradient-batches", "4", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    for key in ["init", "rank", "alpha", "scale", "targets", "trainable_parameters", "initial_loss", "final_loss", "steps", "seconds"] {
      #expect(report[key] != nil, "key \(key)")
    }
    #expect(report["init"] as? String == "lora-ga" && report["rank"] as? Int == 2 && report["steps"] as? Int == 20)
    #expect(report["targets"] as? [String] == modules)
    #expect(report["scale"] as? Double == 4, "alpha 8 / rank 2")
    // The base run's learning rate is the default.
    #expect(abs(try #require(report["learning_rate"] as? Double) - 0.01) < 1e-8)
    // r (in + out) per module: c_attn 16 → 48, c_proj 16 → 16, c_fc 16 → 64, c_proj 64 → 16.
    #expect(report["trainable_parameters"] as? Int == 2 * ((16 + 48) + (16 + 16) + (16 + 64) + (64 + 16)))
    let initial = try #require(report["initial_loss"] as? Double)
    let final = try #require(report["final_loss"] as? Double)
    #expect(final < initial - 0.01, "initial \(initial), final \(final)")

    let adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: path("adapter")))
    #expect(adapter.configuration.rank == 4 && adapter.configuration.alpha == 16, "rank 2r, alpha 2α")
    #expect(adapter.configuration.targetModules == .modules(modules))
    #expect(adapter.configuration.initialization == .standard(true))
    for module in modules {
      #expect(try adapter.scaling(forModule: module).scale == 4)
      #expect(adapter.factors[module]?.rank == 4)
    }
  }

  @Test func plainLoRAWithRSLoRALoRAPlusAndATargetRegexKeepsRankR() throws {
    let result = finetune(
      ["--init", "lora", "--rank", "2", "--rslora", "--loraplus-ratio", "16", "--targets", #".*\.c_attn"#, "--steps", "5",
       "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    #expect(report["targets"] as? [String] == ["transformer.h.0.attn.c_attn"])
    let adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: path("adapter")))
    #expect(adapter.configuration.rank == 2 && adapter.configuration.useRSLoRA)
    let scale = try adapter.scaling(forModule: "transformer.h.0.attn.c_attn").scale
    #expect(abs(scale - 8 / 2.0.squareRoot()) < 1e-12)
    #expect(abs(try #require(report["scale"] as? Double) - scale) < 1e-12)
    #expect(try #require(adapter.factors["transformer.h.0.attn.c_attn"]).b.scalars.contains { $0 != 0 }, "B trained")
  }

  @Test func aClassifierRunFineTunesWithPiSSA() throws {
    let mlp = #"{"data": {"type": "teacher", "examples": 200, "features": 8, "classes": 4, "teacher_hidden": 8}}"#
    try Data(mlp.utf8).write(to: folder.appendingPathComponent("mlp.json"))
    let trained = runInProcess(["train", "--config", path("mlp.json"), "--output", path("mlp"), "--steps", "5", "--threads", "1"])
    try #require(trained.status == 0, "\(trained.error)")
    let result = runInProcess(
      ["lora", "finetune", "--base", path("mlp"), "--init", "pissa", "--rank", "2", "--steps", "5", "--output",
       path("mlp-adapter"), "--json"])
    #expect(result.status == 0, "\(result.error)")
    #expect(try parse(result.out)["targets"] as? [String] == ["hidden.0", "output"])
    let adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: path("mlp-adapter")))
    #expect(adapter.configuration.rank == 4 && adapter.factors["output"]?.b.shape == [4, 4])
  }

  @Test func aMonarchBaseTakesPlainLoRAEverywhereButLoRAGAOnlyOnItsDenseLayers() throws {
    let trained = runInProcess(
      ["train", "--model", "transformer", "--mlp", "monarch", "--blocks", "2", "--config", path("chain.json"), "--output",
       path("monarch"), "--steps", "2", "--width", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "4",
       "--threads", "1"])
    try #require(trained.status == 0, "\(trained.error)")
    func finetune(_ extra: [String], output: String) -> (status: Int32, out: String, error: String) {
      runInProcess(
        ["lora", "finetune", "--base", path("monarch"), "--rank", "2", "--steps", "2", "--output", path(output), "--json"]
          + extra)
    }
    let plain = finetune(["--init", "lora"], output: "monarch-lora")
    #expect(plain.status == 0, "\(plain.error)")
    #expect(try parse(plain.out)["targets"] as? [String] == modules)
    let refused = finetune(["--init", "lora-ga"], output: "monarch-ga")
    #expect(refused.status == 2 && refused.error.contains("transformer.h.0.mlp.c_fc"), "\(refused.error)")
    #expect(!FileManager.default.fileExists(atPath: path("monarch-ga")))
    let dense = finetune(["--init", "lora-ga", "--targets", #".*\.attn\..*"#], output: "monarch-ga")
    #expect(dense.status == 0, "\(dense.error)")
    #expect(try PEFTAdapter.load(from: URL(fileURLWithPath: path("monarch-ga"))).factors.keys.sorted() == Array(modules[0...1]))
  }

  @Test func badInputIsRefusedWithItsExitCodeAndNothingWritten() throws {
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("empty"), withIntermediateDirectories: true)
    let modelFile = try Data(contentsOf: URL(fileURLWithPath: path("lm/model.safetensors")))
    let cases: [(arguments: [String], status: Int32, mentions: String)] = [
      (["--init", "lora", "--rank", "0"], 2, "--rank"),
      (["--init", "lora", "--rank", "17"], 2, "transformer.h.0.attn.c_attn"),
      (["--init", "lora", "--rank", "2", "--targets", "q_proj"], 2, "transformer.h.0.mlp.c_fc"),
      (["--init", "lora", "--rank", "2", "--targets", "("], 2, "--targets"),
      (["--init", "lora-gx", "--rank", "2"], 2, "--init"),
      (["--rank", "2"], 2, "--init"),
      (["--init", "lora", "--rank", "2", "--dropout", "1"], 2, "--dropout"),
      (["--init", "lora", "--rank", "2", "--loraplus-ratio", "0"], 2, "--loraplus-ratio"),
      (["--init", "lora", "--rank", "2", "--gradient-batches", "2"], 2, "--gradient-batches"),
      (["--init", "lora", "--rank", "2", "--labels", path("chain.json")], 2, "--labels"),
      (["--init", "lora", "--rank", "2", "--lr", "1e30", "--steps", "3"], 1, "nothing was written"),
    ]
    for (arguments, status, mentions) in cases {
      let result = finetune(arguments)
      #expect(result.status == status, "\(arguments): \(result.error)")
      #expect(result.error.contains(mentions), "\(arguments): \(result.error)")
      #expect(!FileManager.default.fileExists(atPath: path("adapter")), "\(arguments) wrote the adapter")
    }
    for base in [path("empty"), path("missing")] {
      let result = runInProcess(
        ["lora", "finetune", "--base", base, "--init", "lora", "--rank", "2", "--output", path("adapter")])
      #expect(result.status == 1, "\(base): \(result.error)")
      #expect(result.error.contains("config.json"), "\(result.error)")
      #expect(!FileManager.default.fileExists(atPath: path("adapter")))
    }
    let intoInput = finetune(["--init", "lora", "--rank", "2", "--steps", "1"], output: "lm/model.safetensors")
    #expect(intoInput.status == 1, "\(intoInput.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: path("lm/model.safetensors"))) == modelFile)
  }
}
