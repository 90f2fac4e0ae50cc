import Foundation
import NN
import Testing

/// `adapter_config.json` decoding, validation, PEFT's module matching and pattern rules, and the rank-2r conversion.
@Suite struct PEFTAdapterConfigurationTests {
  private func decode(_ text: String, file: String = "adapter_config.json") throws(LoRAError) -> PEFTAdapterConfiguration {
    try PEFTAdapterConfiguration(jsonBytes: Array(text.utf8), file: file)
  }

  private func expectError(_ expected: LoRAError, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: expected, sourceLocation: sourceLocation) { try decode(text) }
  }

  @Test func missingFieldsTakePEFTDefaultsAndUnknownFieldsAreIgnored() throws {
    let configuration = try decode(#"{"peft_type": "LORA", "megatron_core": "megatron.core", "loftq_config": {}}"#)
    #expect(configuration == PEFTAdapterConfiguration())
    #expect(configuration.rank == 8 && configuration.alpha == 8 && configuration.dropout == 0)
    #expect(configuration.bias == "none" && !configuration.useRSLoRA && !configuration.fanInFanOut)
    #expect(configuration.initialization == .standard(true) && configuration.targetModules == nil)
    #expect(configuration.rankPattern.isEmpty && configuration.alphaPattern.isEmpty && !configuration.inferenceMode)
  }

  @Test func nullsTakeDefaultsAndEachFieldOfEitherShapeDecodes() throws {
    let configuration = try decode(
      """
      {"peft_type": "LORA", "r": 16, "lora_alpha": 11.313708498984761, "target_modules": ".*\\\\.(q|v)_proj",
       "rank_pattern": null, "alpha_pattern": {"up": 3.5}, "init_lora_weights": "pissa_niter_4",
       "layers_to_transform": 3, "layers_pattern": "layers", "use_rslora": true, "task_type": "CAUSAL_LM",
       "fan_in_fan_out": true, "lora_dropout": 0.05, "peft_version": "0.21.2", "revision": null}
      """)
    #expect(configuration.rank == 16 && configuration.alpha == 11.313708498984761)
    #expect(configuration.targetModules == .pattern(#".*\.(q|v)_proj"#))
    #expect(configuration.rankPattern.isEmpty && configuration.alphaPattern == ["up": 3.5])
    #expect(configuration.initialization == .method("pissa_niter_4"))
    #expect(configuration.layersToTransform == [3] && configuration.layersPattern == ["layers"])
    #expect(configuration.useRSLoRA && configuration.fanInFanOut && configuration.dropout == 0.05)
    #expect(configuration.taskType == "CAUSAL_LM" && configuration.peftVersion == "0.21.2")
    #expect(try decode(#"{"peft_type": "LORA", "init_lora_weights": false}"#).initialization == .standard(false))
    #expect(try decode(#"{"peft_type": "LORA", "layers_to_transform": [0, 2]}"#).layersToTransform == [0, 2])
  }

  /// The expected text is Python's `json.dumps(config, indent=2, sort_keys=True)` of the same fields.
  @Test func encodedJSONHasPEFTsLayout() throws {
    var configuration = PEFTAdapterConfiguration(
      rank: 3, alpha: 6, targetModules: .modules(["q_proj", "up"]), alphaPattern: ["blocks.1.up": 1.5], dropout: 0.25)
    configuration.inferenceMode = true
    let expected = """
      {
        "alpha_pattern": {
          "blocks.1.up": 1.5
        },
        "base_model_name_or_path": null,
        "bias": "none",
        "exclude_modules": null,
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "layers_pattern": null,
        "layers_to_transform": null,
        "lora_alpha": 6,
        "lora_bias": false,
        "lora_dropout": 0.25,
        "modules_to_save": null,
        "peft_type": "LORA",
        "peft_version": null,
        "r": 3,
        "rank_pattern": {},
        "revision": null,
        "target_modules": [
          "q_proj",
          "up"
        ],
        "task_type": null,
        "use_dora": false,
        "use_rslora": false
      }

      """
    let json = try configuration.encodedJSON()
    #expect(String(decoding: json, as: UTF8.self) == expected)
    #expect(try PEFTAdapterConfiguration(jsonBytes: json, file: "x") == configuration)
  }

  @Test func aValueThatIsNotFiniteIsNotWritten() {
    var configuration = PEFTAdapterConfiguration()
    configuration.alpha = .nan
    #expect {
      try configuration.encodedJSON()
    } throws: { error in
      guard case .invalidField("adapter_config.json", "lora_alpha, alpha_pattern or lora_dropout", let reason) =
        error as? LoRAError
      else { return false }
      return reason.hasPrefix("a value that is not finite cannot be written as JSON")
    }
  }

  @Test func writtenAndReadBackEveryFieldSurvives() throws {
    var configuration = PEFTAdapterConfiguration(
      rank: 4, alpha: 8 * 2.0.squareRoot(), targetModules: .pattern(#"model\..*\.q_proj"#), useRSLoRA: true,
      rankPattern: ["layers.1.q_proj": 2], alphaPattern: ["q_proj": 3.25], fanInFanOut: true, dropout: 0.1,
      initialization: .method("gaussian"))
    configuration.excludeModules = .modules(["lm_head"])
    configuration.layersToTransform = [0, 1]
    configuration.layersPattern = ["layers", "h"]
    configuration.baseModelNameOrPath = "tiny/model \"quoted\" / slash"
    configuration.revision = "main"
    configuration.taskType = "CAUSAL_LM"
    configuration.peftVersion = "0.21.2"
    #expect(try PEFTAdapterConfiguration(jsonBytes: configuration.encodedJSON(), file: "x") == configuration)
  }

  @Test func badConfigurationsAreRefusedWithTheFieldNamed() {
    let file = "adapter_config.json"
    expectError(.unsupportedPEFTType(file: file, type: "PROMPT_TUNING"), #"{"peft_type": "PROMPT_TUNING", "r": 8}"#)
    expectError(.invalidField(file: file, field: "peft_type", reason: "missing; PEFT requires it"), #"{"r": 8}"#)
    expectError(
      .unsupportedFeature(file: file, field: "use_dora", reason: "DoRA adapters (lora_magnitude_vector) are not implemented"),
      #"{"peft_type": "LORA", "use_dora": true}"#)
    expectError(
      .unsupportedFeature(file: file, field: "lora_bias", reason: "a trained bias on lora_B is not implemented"),
      #"{"peft_type": "LORA", "lora_bias": true}"#)
    expectError(
      .unsupportedFeature(
        file: file, field: "bias", reason: "\"all\" trains base biases, which are not implemented; only \"none\""),
      #"{"peft_type": "LORA", "bias": "all"}"#)
    expectError(
      .unsupportedFeature(
        file: file, field: "modules_to_save", reason: "modules trained in full beside the adapter are not implemented"),
      #"{"peft_type": "LORA", "modules_to_save": ["score"]}"#)
    expectError(
      .invalidField(file: file, field: "r", reason: "a rank must be at least 1, got 0"), #"{"peft_type": "LORA", "r": 0}"#)
    expectError(
      .invalidField(file: file, field: "rank_pattern[\"q\"]", reason: "a rank must be at least 1, got -2"),
      #"{"peft_type": "LORA", "rank_pattern": {"q": -2}}"#)
    expectError(
      .invalidField(file: file, field: "lora_alpha", reason: "must be finite and positive, got 0.0"),
      #"{"peft_type": "LORA", "lora_alpha": 0}"#)
    expectError(
      .invalidField(file: file, field: "lora_dropout", reason: "must lie in 0..<1, got 1.0"),
      #"{"peft_type": "LORA", "lora_dropout": 1}"#)
  }

  @Test func invalidJSONNamesTheFileAndThePositionOrTheField() throws {
    for (text, fragment) in [
      (#"{"peft_type": "LORA",, "r": 8}"#, "character 21"), (#"{"peft_type": "LORA", "r": "four"}"#, "r: "),
      (#"["LORA"]"#, "the top level is not an object"), (#"{"peft_type": "LORA", "target_modules": 3}"#, "target_modules"),
    ] {
      do {
        _ = try decode(text, file: "/adapters/a/adapter_config.json")
        Issue.record("\(text) was accepted")
      } catch {
        guard case .invalidJSON(let file, let reason) = error else {
          Issue.record("\(text): \(error)")
          continue
        }
        #expect(file == "/adapters/a/adapter_config.json")
        #expect(reason.contains(fragment), "\(reason)")
      }
    }
  }

  @Test func invalidPatternsAreRefusedWhenTheFileIsRead() {
    for (text, field, pattern) in [
      (#"{"peft_type": "LORA", "rank_pattern": {"a(": 2}}"#, "rank_pattern", "a("),
      (#"{"peft_type": "LORA", "alpha_pattern": {"[x": 2}}"#, "alpha_pattern", "[x"),
      (#"{"peft_type": "LORA", "target_modules": "(q"}"#, "target_modules", "(q"),
    ] {
      #expect {
        try decode(text)
      } throws: { error in
        guard case .invalidField("adapter_config.json", field, let reason) = error as? LoRAError else { return false }
        return reason.hasPrefix("'\(pattern)' is not a valid regular expression")
      }
    }
  }

  // MARK: - target_modules

  @Test func listEntriesMatchWholeNamesOrDottedSuffixes() throws {
    let configuration = PEFTAdapterConfiguration(targetModules: .modules(["q_proj", "mlp.up"]))
    for (name, expected) in [
      ("model.layers.0.self_attn.q_proj", true), ("q_proj", true), ("blocks.0.mlp.up", true), ("mlp.up", true),
      ("model.layers.0.self_attn.xq_proj", false), ("model.q_proj.lora", false), ("blocks.0.notmlp.up", false),
      ("up", false), ("q_proj2", false), ("", false),
    ] {
      #expect(try configuration.targets(name) == expected, "\(name)")
    }
  }

  @Test func aStringIsARegularExpressionOverTheWholeName() throws {
    let configuration = PEFTAdapterConfiguration(targetModules: .pattern(#".*\.(q_proj|v_proj)"#))
    for (name, expected) in [
      ("model.layers.0.q_proj", true), ("a.v_proj", true), ("a.q_proj2", false), ("q_proj", false),
      ("a.q_proj.inner", false), ("a.k_proj", false),
    ] {
      #expect(try configuration.targets(name) == expected, "\(name)")
    }
    #expect(try !PEFTAdapterConfiguration().targets("model.q_proj"))
  }

  @Test func excludedModulesAndLayerIndicesRestrictTheTargets() throws {
    var configuration = PEFTAdapterConfiguration(targetModules: .modules(["q_proj"]))
    configuration.excludeModules = .modules(["layers.1.q_proj"])
    #expect(try configuration.targets("model.layers.0.q_proj"))
    #expect(try !configuration.targets("model.layers.1.q_proj"))
    configuration.excludeModules = .pattern(#".*\.0\..*"#)
    #expect(try !configuration.targets("model.layers.0.q_proj"))
    configuration.excludeModules = nil
    configuration.layersToTransform = [1, 3]
    for (name, expected) in [
      ("model.layers.1.q_proj", true), ("model.layers.3.attn.q_proj", true), ("model.layers.0.q_proj", false),
      ("model.layers.1.experts.0.q_proj", true), ("model.layers.0.experts.1.q_proj", false),
      ("layers.1.q_proj", false),
      // A name equal to an entry is selected before the layer filter applies, as in PEFT.
      ("q_proj", true),
    ] {
      #expect(try configuration.targets(name) == expected, "\(name)")
    }
    configuration.layersPattern = ["h"]
    #expect(try configuration.targets("transformer.h.1.attn.q_proj"))
    #expect(try !configuration.targets("model.layers.1.q_proj"))
    #expect(try configuration.targets("h.3.q_proj"))
  }

  // MARK: - rank_pattern, alpha_pattern, rsLoRA

  @Test func patternsGivePerModuleRanksAlphasAndScales() throws {
    var configuration = PEFTAdapterConfiguration(rank: 8, alpha: 8, useRSLoRA: true)
    configuration.rankPattern = ["layers.1.q_proj": 4]
    configuration.alphaPattern = ["v_proj": 2]
    let patterned = try configuration.scaling(forModule: "model.layers.1.q_proj")
    #expect(patterned.rank == 4 && patterned.alpha == 8 && patterned.scale == 4)
    let other = try configuration.scaling(forModule: "model.layers.11.q_proj")
    #expect(other.rank == 8 && other.scale == 8 / 8.0.squareRoot())
    #expect(try configuration.scaling(forModule: "model.xlayers.1.q_proj").rank == 8)
    #expect(try configuration.scaling(forModule: "layers.1.q_proj").rank == 4)
    let value = try configuration.scaling(forModule: "model.layers.1.v_proj")
    #expect(value.rank == 8 && value.alpha == 2 && value.scale == 2 / 8.0.squareRoot())
    configuration.useRSLoRA = false
    #expect(try configuration.scaling(forModule: "model.layers.1.q_proj").scale == 2)
    #expect(try configuration.scaling(forModule: "model.layers.1.v_proj").scale == 0.25)
  }

  /// PEFT tries the keys in the order it read them, which is sorted for any file it wrote: "1.q_proj" before "q_proj".
  @Test func theFirstMatchingKeyInSortedOrderWins() throws {
    var configuration = PEFTAdapterConfiguration(rank: 8)
    configuration.rankPattern = ["q_proj": 2, "1.q_proj": 6]
    #expect(try configuration.scaling(forModule: "model.layers.1.q_proj").rank == 6)
    #expect(try configuration.scaling(forModule: "model.layers.2.q_proj").rank == 2)
  }

  // MARK: - rank-2r conversion

  @Test func rankDoublingKeepsEveryModulesScale() throws {
    let original = PEFTAdapterConfiguration(
      rank: 4, alpha: 8, targetModules: .modules(["q_proj", "up"]), rankPattern: ["layers.1.q_proj": 2],
      alphaPattern: ["up": 3], initialization: .method("pissa"))
    let doubled = try original.rankDoubledForOriginalWeights()
    #expect(doubled.rank == 8 && doubled.alpha == 16)
    #expect(doubled.rankPattern == ["layers.1.q_proj": 4] && doubled.alphaPattern == ["up": 6])
    #expect(doubled.initialization == .standard(true) && doubled.targetModules == original.targetModules)
    for module in ["m.layers.0.q_proj", "m.layers.1.q_proj", "m.layers.1.up"] {
      let (before, after) = (try original.scaling(forModule: module), try doubled.scaling(forModule: module))
      #expect(after.rank == 2 * before.rank && after.scale == before.scale, "\(module)")
    }
  }

  @Test func rankDoublingWithRSLoRAMultipliesAlphaByTheSquareRootOfTwo() throws {
    let original = PEFTAdapterConfiguration(rank: 4, alpha: 8, useRSLoRA: true, initialization: .method("lora_ga"))
    let doubled = try original.rankDoubledForOriginalWeights()
    #expect(doubled.rank == 8 && doubled.alpha == 8 * 2.0.squareRoot())
    #expect(abs(try doubled.scaling(forModule: "m").scale - 4) < 1e-15)
    #expect(doubled.initialization == .standard(true))
    let patterned = PEFTAdapterConfiguration(rank: 4, alpha: 8, useRSLoRA: true, alphaPattern: ["q": 2])
    #expect(
      throws: LoRAError.rankDoublingUnsupported(
        reason: "use_rslora together with rank_pattern or alpha_pattern would change the scale (PEFT refuses it too)")
    ) { try patterned.rankDoubledForOriginalWeights() }
  }
}
