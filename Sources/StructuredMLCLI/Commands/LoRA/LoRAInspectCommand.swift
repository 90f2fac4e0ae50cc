import Foundation
import NN

/// `structml lora inspect ADAPTER_DIR`: what a PEFT LoRA adapter folder holds: its configuration, the rank and
/// scale of every adapted module, the modules' shapes and the parameter count.
enum LoRAInspectCommand {
  static let command = Command(
    path: ["lora", "inspect"],
    summary: "describe a PEFT LoRA adapter folder: rank, alpha, scale per module, targets, shapes, parameters",
    operands: "ADAPTER_DIR",
    notes: """
      ADAPTER_DIR holds adapter_config.json and adapter_model.safetensors, as PEFT's save_pretrained writes them.
      Each module's scale is alpha/r, or alpha/sqrt(r) with use_rslora, with the module's own r and alpha where
      rank_pattern or alpha_pattern give it one; shapes are the adapted layer's [out, in].
      """
  ) { arguments, console in
    guard arguments.positional.count == 1, let path = arguments.positional.first else {
      throw CommandError.usage("expected exactly one ADAPTER_DIR, got \(arguments.positional.count)")
    }
    let adapter: PEFTAdapter
    do throws(LoRAError) {
      adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: path))
    } catch {
      throw CommandError.failure(error.description)
    }
    let modules = try adapter.factors.sorted { $0.key < $1.key }.map { name, factors in
      Module(name: name, factors: factors, scaling: try adapter.scaling(forModule: name))
    }
    let report = Report(
      path: path, configuration: adapter.configuration, modules: modules, parameters: adapter.parameterCount)
    console.print(arguments.flag("json") ? report.json.serialized() : report.text)
  }

  /// One adapted module: its factors' shapes and its rank, alpha and scale.
  struct Module {
    let name: String
    let factors: LoRAFactors
    let scaling: LoRAScaling
  }

  /// Everything `lora inspect` says about one adapter.
  struct Report {
    let path: String
    let configuration: PEFTAdapterConfiguration
    let modules: [Module]
    let parameters: Int

    /// The distinct ranks of the modules, smallest first.
    var ranks: [Int] { Set(modules.map(\.scaling.rank)).sorted() }

    var json: JSONValue {
      let targets: JSONValue
      switch configuration.targetModules {
      case .modules(let names)?: targets = .array(names.map(JSONValue.string))
      case .pattern(let pattern)?: targets = .string(pattern)
      case nil: targets = .null
      }
      let initialization: JSONValue
      switch configuration.initialization {
      case .standard(let flag): initialization = .bool(flag)
      case .method(let name): initialization = .string(name)
      }
      return .object([
        ("adapter", .string(path)), ("peft_type", .string(configuration.peftType)), ("rank", .int(configuration.rank)),
        ("ranks", .array(ranks.map(JSONValue.int))), ("alpha", .number(configuration.alpha)),
        ("use_rslora", .bool(configuration.useRSLoRA)), ("target_modules", targets),
        ("init_lora_weights", initialization), ("fan_in_fan_out", .bool(configuration.fanInFanOut)),
        ("rank_pattern", .object(configuration.rankPattern.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
        ("alpha_pattern", .object(configuration.alphaPattern.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
        (
          "modules",
          .array(
            modules.map { module in
              .object([
                ("name", .string(module.name)), ("rank", .int(module.scaling.rank)),
                ("alpha", .number(module.scaling.alpha)), ("scale", .number(module.scaling.scale)),
                ("in_features", .int(module.factors.inputFeatures)),
                ("out_features", .int(module.factors.outputFeatures)),
              ])
            })
        ),
        ("parameters", .int(parameters)),
      ])
    }

    /// The report as text; names and patterns from the files are escaped for the terminal.
    var text: String {
      let escaped = TerminalText.escaped
      let c = configuration
      var rank = "rank \(c.rank)"
      if ranks != [c.rank] { rank += " (per module: \(ranks.map(String.init).joined(separator: ", ")))" }
      func patterns<Value>(_ name: String, _ pattern: [String: Value], _ show: (Value) -> String) -> [String] {
        guard !pattern.isEmpty else { return [] }
        let entries = pattern.sorted { $0.key < $1.key }.map { "\(escaped($0.key)): \(show($0.value))" }
        return ["\(name) " + entries.joined(separator: ", ")]
      }
      let initialization: String
      switch c.initialization {
      case .standard(let flag): initialization = "\(flag)"
      case .method(let name): initialization = escaped(name)
      }
      var lines = [
        "\(escaped(path)): PEFT adapter, peft_type \(escaped(c.peftType))", rank,
        "alpha \(LoRAInspectCommand.format(c.alpha))",
        "use_rslora \(c.useRSLoRA)", "target_modules \(c.targetModules.map { escaped($0.description) } ?? "(none)")",
        "init_lora_weights \(initialization)", "fan_in_fan_out \(c.fanInFanOut)",
      ]
      lines += patterns("rank_pattern", c.rankPattern) { String($0) }
      lines += patterns("alpha_pattern", c.alphaPattern) { LoRAInspectCommand.format($0) }
      lines.append("modules (\(modules.count)), shapes [out, in]:")
      let rows = modules.map { module in
        let s = module.scaling
        return [
          escaped(module.name), "rank \(s.rank)", "alpha \(LoRAInspectCommand.format(s.alpha))",
          "scale \(LoRAInspectCommand.format(s.scale))",
          "[\(module.factors.outputFeatures), \(module.factors.inputFeatures)]",
        ]
      }
      let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
      for row in rows {
        let padded = zip(row, widths).map { cell, width in cell.padding(toLength: width, withPad: " ", startingAt: 0) }
        lines.append("  " + padded.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
      }
      lines.append("parameters \(parameters)")
      return lines.joined(separator: "\n")
    }
  }

  /// A real number for text output: six significant digits, no trailing zeros (`2`, `1.75`, `5.65685`).
  static func format(_ value: Double) -> String { String(format: "%g", value) }
}
