import Foundation
import NN
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

/// `structml lora merge` and `structml lora inspect` on adapters saved here and by PEFT.
@Suite("structml lora merge and inspect")
struct LoRACommandTests {
  let folder: TemporaryFolder

  init() throws { folder = try TemporaryFolder() }

  func path(_ name: String) -> String { folder.file(name).path }

  func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  static func normal(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor<Float> {
    var generator = SeededGenerator(seed: seed)
    let tensor = Tensor<Float>.normal(shape: shape, using: &generator)
    return Tensor(shape: shape, scalars: tensor.scalars.map { $0 * scale })
  }

  static func factors(rank: Int, inputs: Int, outputs: Int, seed: UInt64, scale: Float = 1) throws -> LoRAFactors {
    try LoRAFactors(
      a: normal([rank, inputs], seed: seed, scale: scale), b: normal([outputs, rank], seed: seed + 100, scale: scale))
  }

  /// Three modules, `r = 3, α = 6` with `rank_pattern {"layers.1.q_proj": 2}` and `alpha_pattern {"up": 1.5}`:
  /// scales 2 (`layers.0.q_proj`), 3 (`layers.1.q_proj`) and 0.5 (`layers.0.up`).
  static let scales = ["layers.0.q_proj": 2.0, "layers.1.q_proj": 3.0, "layers.0.up": 0.5]

  /// Saves the three-module adapter into `name` and returns it.
  @discardableResult
  func saveAdapter(_ name: String) throws -> PEFTAdapter {
    var configuration = PEFTAdapterConfiguration(rank: 3, alpha: 6, targetModules: .modules(["q_proj", "up"]))
    configuration.rankPattern = ["layers.1.q_proj": 2]
    configuration.alphaPattern = ["up": 1.5]
    let adapter = try PEFTAdapter(
      configuration: configuration,
      factors: [
        "layers.0.q_proj": try Self.factors(rank: 3, inputs: 6, outputs: 8, seed: 1),
        "layers.1.q_proj": try Self.factors(rank: 2, inputs: 6, outputs: 8, seed: 2),
        "layers.0.up": try Self.factors(rank: 3, inputs: 8, outputs: 10, seed: 3),
      ])
    try adapter.save(to: folder.file(name))
    return adapter
  }

  /// The base tensors: the three adapted weights, their biases, an unadapted weight and an F16 table.
  static func baseTensors(upShape: [Int] = [10, 8], dropping dropped: String? = nil) throws -> [(String, TensorData)] {
    let tensors: [(String, TensorData)] = [
      ("layers.0.q_proj.weight", try TensorData(normal([8, 6], seed: 10))),
      ("layers.0.q_proj.bias", try TensorData(normal([8], seed: 11))),
      ("layers.1.q_proj.weight", try TensorData(normal([8, 6], seed: 12))),
      ("layers.0.up.weight", try TensorData(normal(upShape, seed: 13))),
      ("layers.0.k_proj.weight", try TensorData(normal([8, 6], seed: 14))),
      ("embed.weight", try TensorData(normal([5, 6], seed: 15), as: .float16)),
    ]
    return tensors.filter { $0.0 != dropped }
  }

  func writeBase(_ name: String, _ tensors: [(String, TensorData)]) throws {
    try SafetensorsWriter.write(tensors, metadata: ["format": "pt", "note": "base"], to: folder.file(name))
  }

  /// `W[o][i] + s·Σ_k B[o][k]·A[k][i]` by loops, in `Double`.
  static func naiveMerge(_ weight: Tensor<Float>, _ f: LoRAFactors, scale: Double) -> Tensor<Double> {
    var merged = weight.converted(to: Double.self)
    for o in 0..<f.outputFeatures {
      for i in 0..<f.inputFeatures {
        var sum = 0.0
        for k in 0..<f.rank { sum += Double(f.b[o, k]) * Double(f.a[k, i]) }
        merged[o, i] += scale * sum
      }
    }
    return merged
  }

  @Test func mergeWritesWPlusTheScaledProductForEveryModuleAndCopiesTheRest() throws {
    defer { folder.cleanUp() }
    let adapter = try saveAdapter("adapter")
    let base = try Self.baseTensors()
    try writeBase("base.safetensors", base)
    let result = runInProcess(
      ["lora", "merge", "--base", path("base.safetensors"), "--adapter", path("adapter"), "--output",
       path("merged.safetensors"), "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    #expect(report["tensors"] as? Int == 6 && report["copied"] as? Int == 3)
    let merged = try #require(report["merged"] as? [[String: Any]])
    #expect(merged.compactMap { $0["module"] as? String } == ["layers.0.q_proj", "layers.0.up", "layers.1.q_proj"])
    #expect(merged.compactMap { $0["scale"] as? Double } == [2, 0.5, 3])
    #expect(merged.compactMap { $0["rank"] as? Int } == [3, 3, 2])

    let output = try SafetensorsFile(contentsOf: folder.file("merged.safetensors"))
    #expect(output.metadata == ["format": "pt", "note": "base"])
    #expect(Set(output.names) == Set(base.map(\.0)))
    let byName = Dictionary(uniqueKeysWithValues: base)
    for (module, scale) in Self.scales {
      let name = "\(module).weight"
      let weight = try #require(byName[name]).tensor(as: Float.self)
      let expected = Self.naiveMerge(weight, try #require(adapter.factors[module]), scale: scale)
      let check = discrepancy(
        try output.tensorData(named: name).tensor(as: Float.self), expected, absoluteTolerance: 1e-5,
        relativeTolerance: 1e-5)
      #expect(check.isWithinTolerance, "\(name): \(check)")
    }
    for (name, data) in base where !Self.scales.keys.contains(where: { "\($0).weight" == name }) {
      #expect(try output.tensorData(named: name) == data, "\(name) is copied byte for byte")
    }
    #expect(try folder.contents() == ["adapter", "base.safetensors", "merged.safetensors"])

    let text = runInProcess(
      ["lora", "merge", "--base", path("base.safetensors"), "--adapter", path("adapter"), "--output", path("again.safetensors")])
    #expect(text.status == 0, "\(text.error)")
    #expect(text.out.contains("merged layers.1.q_proj.weight: rank 2, scale 3"), "\(text.out)")
    #expect(text.out.contains("3 weight(s) merged, 3 tensor(s) copied"), "\(text.out)")
    #expect(try Data(contentsOf: folder.file("again.safetensors")) == Data(contentsOf: folder.file("merged.safetensors")))
  }

  /// A run folder with a merged `model.safetensors` evaluates to the loss of the base model with the adapter
  /// applied as an adapter (`LanguageModel(_:adapters:)` with the same factors), and its logits are that model's.
  @Test func aMergedRunEvaluatesLikeTheBaseModelWithTheAdapter() throws {
    defer { folder.cleanUp() }
    let chain = """
      {"data": {"type": "markov_chain", "symbols": 8, "order": 1, "sharpness": 3, "training_tokens": 2048,
                "held_out_tokens": 512},
       "training": {"warmup_steps": 1, "evaluation_interval": 0}}
      """
    try Data(chain.utf8).write(to: folder.file("chain.json"))
    let trained = runInProcess(
      ["train", "--model", "transformer", "--config", path("chain.json"), "--output", path("run"), "--steps", "3",
       "--lr", "0.01", "--width", "16", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "8",
       "--threads", "1"])
    #expect(trained.status == 0, "\(trained.error)")
    let run = folder.file("run")
    let configuration = try RunCheckpoint.readConfiguration(from: run)
    guard case .languageModel(let languageModel) = configuration.model else {
      Issue.record("the run holds \(configuration.model)")
      return
    }
    // rsLoRA with r = 2, α = 3: s = 3/√2 on the attention's c_attn (48 × 16) and the MLP's c_fc (64 × 16).
    let modules = ["transformer.h.0.attn.c_attn": (48, 16, UInt64(5)), "transformer.h.0.mlp.c_fc": (64, 16, UInt64(6))]
    var factors: [String: LoRAFactors] = [:]
    for (module, (outputs, inputs, seed)) in modules {
      factors[module] = try Self.factors(rank: 2, inputs: inputs, outputs: outputs, seed: seed, scale: 0.3)
    }
    let adapter = try PEFTAdapter(
      configuration: PEFTAdapterConfiguration(rank: 2, alpha: 3, targetModules: .modules(["c_attn", "c_fc"]), useRSLoRA: true),
      factors: factors)
    try adapter.save(to: folder.file("adapter"))

    let merged = runInProcess(
      ["lora", "merge", "--base", run.path, "--adapter", path("adapter"), "--output", path("merged.safetensors")])
    #expect(merged.status == 0, "\(merged.error)")
    let mergedRun = folder.file("merged-run")
    try FileManager.default.copyItem(at: run, to: mergedRun)
    try FileManager.default.removeItem(at: mergedRun.appendingPathComponent("model.safetensors"))
    try FileManager.default.moveItem(
      at: folder.file("merged.safetensors"), to: mergedRun.appendingPathComponent("model.safetensors"))

    func evaluate(_ run: URL, dump: String) throws -> Double {
      let result = runInProcess(["eval", "--checkpoint", run.path, "--dump-logits", path(dump), "--json"])
      #expect(result.status == 0, "\(result.error)")
      return try #require(try parse(result.out)["loss"] as? Double)
    }
    let mergedLoss = try evaluate(mergedRun, dump: "merged-logits.safetensors")
    let baseLoss = try evaluate(run, dump: "base-logits.safetensors")

    // The base model with the adapter as an adapter: base tensors from the run, the factors set in its layers.
    let plan = LoRAConfiguration(rank: 2, alpha: 3, useRSLoRA: true, targets: .modules(["c_attn", "c_fc"]))
    let adapted = try LanguageModel(languageModel, adapters: [plan])
    let baseFile = try SafetensorsFile(contentsOf: run.appendingPathComponent("model.safetensors"))
    for name in baseFile.names {
      try adapted.parameters.setValues(named: name, to: try baseFile.tensorData(named: name).tensor(as: Float.self))
    }
    #expect(adapted.loraLayers.map(\.module).sorted() == modules.keys.sorted())
    for layer in adapted.loraLayers {
      try layer.setFactors(try #require(factors[layer.module]), adapter: plan.adapterName, in: adapted.parameters)
    }
    let batches = try RunComponents(configuration).batches.evaluationBatches
    let workspace = Workspace()
    var (total, counted) = (0.0, 0)
    for batch in batches {
      workspace.reset()
      let result = try adapted.loss(on: batch, pass: .evaluation, workspace: workspace)
      total += result.loss * Double(result.countedTargets)
      counted += result.countedTargets
    }
    let adaptedLoss = total / Double(counted)
    #expect(abs(mergedLoss - adaptedLoss) <= 1e-5 * adaptedLoss, "merged \(mergedLoss), adapted \(adaptedLoss)")
    #expect(abs(mergedLoss - baseLoss) > 1e-3, "the adapter changes the loss: merged \(mergedLoss), base \(baseLoss)")

    let dump = try SafetensorsFile(contentsOf: folder.file("merged-logits.safetensors"))
    let inputs = try dump.tensorData(named: "inputs")
    let tokens = inputs.bytes.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }.map { Int32($0) }
    let logits = try adapted.logits(for: tokens, sequences: inputs.shape[0])
    let check = discrepancy(
      try dump.tensorData(named: "logits").tensor(as: Float.self), logits, absoluteTolerance: 1e-5,
      relativeTolerance: 1e-4)
    #expect(check.isWithinTolerance, "\(check)")
  }

  @Test func inspectReportsRanksScalesShapesAndTheParameterCount() throws {
    defer { folder.cleanUp() }
    try saveAdapter("adapter")
    let result = runInProcess(["lora", "inspect", path("adapter"), "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    #expect(report["peft_type"] as? String == "LORA")
    #expect(report["rank"] as? Int == 3 && report["ranks"] as? [Int] == [2, 3])
    #expect(report["alpha"] as? Double == 6 && report["use_rslora"] as? Bool == false)
    #expect(report["target_modules"] as? [String] == ["q_proj", "up"])
    #expect(report["init_lora_weights"] as? Bool == true)
    let modules = try #require(report["modules"] as? [[String: Any]])
    #expect(modules.compactMap { $0["name"] as? String } == ["layers.0.q_proj", "layers.0.up", "layers.1.q_proj"])
    #expect(modules.compactMap { $0["rank"] as? Int } == [3, 3, 2])
    #expect(modules.compactMap { $0["scale"] as? Double } == [2, 0.5, 3])
    #expect(modules.compactMap { $0["in_features"] as? Int } == [6, 8, 6])
    #expect(modules.compactMap { $0["out_features"] as? Int } == [8, 10, 8])
    // r·(in + out): 3·(6 + 8) + 3·(8 + 10) + 2·(6 + 8).
    #expect(report["parameters"] as? Int == 124)

    let text = runInProcess(["lora", "inspect", path("adapter")])
    #expect(text.status == 0, "\(text.error)")
    for line in ["rank 3 (per module: 2, 3)", "alpha 6", "use_rslora false", "rank_pattern layers.1.q_proj: 2",
                 "alpha_pattern up: 1.5", "layers.1.q_proj  rank 2  alpha 6    scale 3    [8, 6]", "parameters 124"] {
      #expect(text.out.contains(line), "\(line) in \(text.out)")
    }
  }

  /// The adapter PEFT wrote (`Tests/NNTests/Fixtures/peft/linear`, `r=4, lora_alpha=8, use_rslora`, with rank and
  /// alpha patterns): scales 4, 1.75, 8/√2 and 1.75 as its README lists them.
  @Test func inspectReadsAnAdapterPEFTWrote() throws {
    defer { folder.cleanUp() }
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("NNTests/Fixtures/peft/linear")
    let result = runInProcess(["lora", "inspect", fixture.path, "--json"])
    #expect(result.status == 0, "\(result.error)")
    let report = try parse(result.out)
    #expect(report["rank"] as? Int == 4 && report["alpha"] as? Double == 8 && report["use_rslora"] as? Bool == true)
    let modules = try #require(report["modules"] as? [[String: Any]])
    let scales = Dictionary(uniqueKeysWithValues: modules.compactMap { m in
      (m["name"] as? String).flatMap { name in (m["scale"] as? Double).map { (name, $0) } }
    })
    let expected = [
      "blocks.0.attn.q_proj": 4, "blocks.0.mlp.up": 1.75, "blocks.1.attn.q_proj": 8 / 2.0.squareRoot(),
      "blocks.1.mlp.up": 1.75,
    ]
    #expect(scales.keys.sorted() == expected.keys.sorted())
    for (name, scale) in expected {
      #expect(abs((scales[name] ?? 0) - scale) < 1e-12, "\(name): \(scales[name] ?? .nan)")
    }
  }

  @Test func badInputIsRefusedNamingTheFileModuleOrFlagAndWritesNothing() throws {
    defer { folder.cleanUp() }
    try saveAdapter("adapter")
    try writeBase("base.safetensors", try Self.baseTensors())
    try writeBase("no-up.safetensors", try Self.baseTensors(dropping: "layers.0.up.weight"))
    try writeBase("transposed.safetensors", try Self.baseTensors(upShape: [8, 10]))
    let baseBytes = try Data(contentsOf: folder.file("base.safetensors"))
    // A run folder (its model.safetensors), an empty folder, and broken copies of the adapter.
    try FileManager.default.createDirectory(at: folder.file("run"), withIntermediateDirectories: false)
    try FileManager.default.copyItem(at: folder.file("base.safetensors"), to: folder.file("run/model.safetensors"))
    try FileManager.default.createDirectory(at: folder.file("empty"), withIntermediateDirectories: false)
    try FileManager.default.copyItem(at: folder.file("run"), to: folder.file("staged-run"))
    try FileManager.default.createDirectory(
      at: folder.file("staged-run/\(RunCheckpoint.stagingFolder)"), withIntermediateDirectories: false)
    for (name, json) in [("not-json", "{\"peft_type\": \"LORA\", \"r\": "), ("prefix", "{\"peft_type\": \"PREFIX_TUNING\"}")] {
      try FileManager.default.copyItem(at: folder.file("adapter"), to: folder.file(name))
      try Data(json.utf8).write(to: folder.file("\(name)/adapter_config.json"))
    }
    let before = try folder.contents()

    func merge(base: String = "base.safetensors", adapter: String = "adapter", output: String = "merged.safetensors",
               _ extra: [String] = []) -> (status: Int32, out: String, error: String) {
      runInProcess(["lora", "merge", "--base", path(base), "--adapter", path(adapter), "--output", path(output)] + extra)
    }
    let failures: [(String, (status: Int32, out: String, error: String), Int32, [String])] = [
      ("adapter folder missing", merge(adapter: "missing"), 1, [path("missing"), "no such folder"]),
      ("adapter_config.json not JSON", merge(adapter: "not-json"), 1, ["not-json/adapter_config.json", "invalid JSON"]),
      ("unsupported PEFT type", merge(adapter: "prefix"), 1, ["peft_type \"PREFIX_TUNING\" is not supported"]),
      ("module weight missing", merge(base: "no-up.safetensors"), 1, ["'layers.0.up.weight'", "module layers.0.up"]),
      ("shapes disagree", merge(base: "transposed.safetensors"), 1, ["[8, 10]", "[out, in] = [10, 8]", "lora_A [3, 8]"]),
      ("base missing", merge(base: "nothing.safetensors"), 1, ["option '--base'", "no such file or folder"]),
      ("folder without a model", merge(base: "empty"), 1, ["holds no model.safetensors"]),
      ("interrupted checkpoint", merge(base: "staged-run"), 1, ["interrupted checkpoint write"]),
      ("output is the base file", merge(output: "base.safetensors"), 1, ["refusing to overwrite an input"]),
      ("output is the run's model", merge(base: "run", output: "run/model.safetensors"), 1, ["--base", "refusing to overwrite an input"]),
      ("output is the adapter's tensors", merge(output: "adapter/adapter_model.safetensors"), 1, ["--adapter"]),
      ("unknown flag", merge(["--rank", "4"]), 2, ["unknown option '--rank'"]),
      ("missing option", runInProcess(["lora", "merge", "--base", path("base.safetensors"), "--output", path("m")]), 2,
       ["missing required option '--adapter'"]),
      ("inspect without a folder", runInProcess(["lora", "inspect"]), 2, ["expected exactly one ADAPTER_DIR"]),
      ("inspect of two folders", runInProcess(["lora", "inspect", path("adapter"), path("prefix")]), 2, ["got 2"]),
      ("inspect of a missing folder", runInProcess(["lora", "inspect", path("missing")]), 1, ["no such folder"]),
      ("inspect of bad JSON", runInProcess(["lora", "inspect", path("not-json")]), 1, ["invalid JSON"]),
      ("inspect with an unknown flag", runInProcess(["lora", "inspect", path("adapter"), "--stats"]), 2, ["'--stats'"]),
    ]
    for (what, result, status, phrases) in failures {
      #expect(result.status == status, "\(what): \(result.error)")
      #expect(result.out.isEmpty, "\(what): \(result.out)")
      for phrase in phrases {
        #expect(result.error.contains(phrase), "\(what): '\(phrase)' not in \(result.error)")
      }
    }
    #expect(try folder.contents() == before, "nothing was written or left behind")
    #expect(try Data(contentsOf: folder.file("base.safetensors")) == baseBytes)
    #expect(try Data(contentsOf: folder.file("run/model.safetensors")) == baseBytes)
  }
}
