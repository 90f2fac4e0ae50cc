import Foundation
import NN
import Testing

@Suite("LoRA targets and per-module patterns")
struct LoRAConfigurationTests {
  @Test func targetsFollowPEFTMatching() throws {
    let names = LoRATargets.modules(["c_attn", "mlp.c_proj"])
    #expect(try names.matches("transformer.h.0.attn.c_attn") && names.matches("c_attn"))
    #expect(try !names.matches("transformer.h.0.attn.xc_attn") && !names.matches("transformer.h.0.attn.c_proj"))
    #expect(try names.matches("transformer.h.3.mlp.c_proj"))
    let pattern = LoRATargets.pattern(#".*\.h\.[01]\.attn\.c_attn"#)
    #expect(try pattern.matches("transformer.h.1.attn.c_attn") && !pattern.matches("transformer.h.2.attn.c_attn"))
    #expect(try !LoRATargets.pattern("c_attn").matches("transformer.h.0.attn.c_attn"), "a full match, not a search")
    #expect(throws: LoRAError.self) { try LoRATargets.pattern("(").matches("x") }
  }

  @Test func targetsCodeAsPEFTsTargetModules() throws {
    let decoder = JSONDecoder()
    #expect(try decoder.decode(LoRATargets.self, from: Data(#"["q_proj", "v_proj"]"#.utf8)) == .modules(["q_proj", "v_proj"]))
    #expect(try decoder.decode(LoRATargets.self, from: Data(#"".*c_attn""#.utf8)) == .pattern(".*c_attn"))
    #expect(throws: DecodingError.self) { try decoder.decode(LoRATargets.self, from: Data("3".utf8)) }
    let encoded = try JSONEncoder().encode(LoRATargets.modules(["c_fc"]))
    #expect(String(decoding: encoded, as: UTF8.self) == #"["c_fc"]"#)
  }

  @Test func rankAndAlphaPatternsTakeTheFirstMatch() throws {
    let configuration = LoRAConfiguration(
      rank: 4, alpha: 8, useRSLoRA: true, targets: .modules(["c_attn", "c_fc"]),
      rankPattern: [LoRAPatternOverride(#"h\.1\.attn\.c_attn"#, 2), LoRAPatternOverride("c_attn", 1)],
      alphaPattern: [LoRAPatternOverride("c_fc", 3)])
    #expect(try configuration.scaling(for: "transformer.h.0.attn.c_attn") == LoRAScaling(rank: 1, alpha: 8, useRSLoRA: true))
    #expect(try configuration.scaling(for: "transformer.h.1.attn.c_attn") == LoRAScaling(rank: 2, alpha: 8, useRSLoRA: true))
    #expect(try configuration.scaling(for: "transformer.h.1.mlp.c_fc") == LoRAScaling(rank: 4, alpha: 3, useRSLoRA: true))
    #expect(try configuration.scaling(for: "transformer.h.1.mlp.xc_fc").alpha == 8, "matches after a dot only")
    let model = try LanguageModel(
      .transformer(vocabularySize: 6, contextLength: 4, width: 8, layers: 2, heads: 2), adapters: [configuration])
    #expect(model.loraLayers.map { $0.adapters[0].scaling.rank } == [1, 4, 2, 4])
    #expect(throws: LoRAError.invalidRank(module: "transformer.h.0.attn.c_attn", rank: 0, maximum: nil)) {
      var zero = configuration
      zero.rankPattern = [LoRAPatternOverride("h\\.0\\.attn\\.c_attn", 0)]
      _ = try LanguageModel(.transformer(vocabularySize: 6, contextLength: 4, width: 8, layers: 2, heads: 2), adapters: [zero])
    }
  }
}
