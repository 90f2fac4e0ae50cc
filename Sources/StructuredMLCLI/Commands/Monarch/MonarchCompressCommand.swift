import Distributed
import Foundation
import Monarch
import Pretrained
import TensorCore
import TensorFiles

/// `structml monarch compress`: replaces the linear layers of a Hugging Face model folder (or the 2-D weights
/// of a bare `.safetensors` checkpoint) by Monarch factors, streaming one tensor at a time.
///
/// The decisions (which tensors are linear maps, the layout of each, the folder format) live in the library:
/// ``MonarchCompressionPlan``, ``MonarchLayoutRule`` and ``CompressedModelFolder``.
enum MonarchCompressCommand {
  static let command = Command(
    path: ["monarch", "compress"],
    summary: "replace the linear layers of a model folder (or a .safetensors checkpoint) by Monarch factors",
    options: [
      .inputFolder(
        "model", "DIR", "a Hugging Face model folder (config.json, model.safetensors, tokenizer files); BERT or GPT-2 family",
        files: [CompressedModelFolder.configurationFileName, CompressedModelFolder.weightsFileName]),
      .input("input", "MODEL.safetensors", "a bare checkpoint instead of --model (read memory-mapped, one tensor at a time)"),
      .output(
        "output", "OUT_DIR|OUT.safetensors",
        "the compressed model folder (with --model; must not exist yet) or checkpoint (with --input), written atomically"),
      .value("blocks", "B", "blocks of both factors (with --keep: the only block count tried)"),
      .value("rank", "R", "slice rank (default max(1, min(rows, cols) / B²) per layer)"),
      .value(
        "keep", "FRACTION",
        "a parameter budget in (0, 1): per layer, the blocks and rank with the least error within FRACTION of the dense parameters"),
      .value(
        "include", "REGEX",
        "compress only tensors whose name matches (linear-time subset: literals . [] ^ $ * + ? {m,n} ( ) |; "
          + "default: every linear map; embedding tables only when named)"),
      .value("min-size", "N", "compress only matrices with at least N elements (default 1)"),
      .flag("compare-lowrank", "report the truncated-SVD error at the same parameter count for every layer (slow)"),
      MonarchFiles.namingOption,
    ],
    notes: """
      Layers are left dense, with a note, when they are lookup tables (embeddings, tied heads), when the blocks
      do not fit their shape, or when the layout would keep at least as many parameters as the dense layer;
      when that leaves nothing to compress the command stops (exit 2). GPT-2 Conv1D weights (in x out) are
      transposed before projection: factors always represent the out x in map y = x M^T.
      """
  ) { arguments, console in
    let model = arguments.string("model")
    let input = arguments.string("input")
    guard (model == nil) != (input == nil) else {
      throw CommandError.usage("give exactly one of --model DIR and --input MODEL.safetensors")
    }
    let outputPath = try arguments.requiredString("output")
    let rule = try layoutRule(arguments)
    let naming = try MonarchFiles.naming(arguments)
    let minimumSize = try arguments.int("min-size", default: 1, in: 0...Int.max)!
    let compareLowRank = arguments.flag("compare-lowrank")
    let selection: MonarchCompressionPlan.Selection?
    do {
      selection = try arguments.string("include").map { text in
        let pattern = try LinearTimePattern(text)
        return MonarchCompressionPlan.Selection(pattern: text) { pattern.matches($0) }
      }
    } catch {
      throw CommandError.usage("option '--include': \(error)")
    }
    let source = model ?? input!
    let group = console.processGroup
    // Under mpirun a rank that cannot read the input stops every rank.
    let (folder, file) = try RankAgreement.onEveryRank(group) { () throws -> (CompressedModelFolder?, SafetensorsFile) in
      do {
        if let model {
          let folder = try CompressedModelFolder(contentsOf: URL(fileURLWithPath: model))
          return (folder, folder.weights)
        }
        return (nil, try SafetensorsFile(contentsOf: URL(fileURLWithPath: input!)))
      } catch {
        throw CommandError.failure("cannot read \(source): \(error)")
      }
    }
    // Every layout is decided before anything is written.
    let plan: MonarchCompressionPlan
    do {
      plan = try MonarchCompressionPlan(
        file: file, catalog: folder?.catalog ?? .generic, rule: rule, selection: selection, minimumSize: minimumSize,
        naming: naming, prefix: folder == nil ? .tensor : .module)
    } catch let error as ModelCompressionError {
      switch error {
      case .includeMatchedNothing: throw CommandError.usage("option '--include': \(error)")
      default: throw CommandError.usage("\(layoutOptions(arguments)) on \(source): \(error)")
      }
    } catch {
      throw CommandError.failure("cannot read \(source): \(error)")
    }
    for note in plan.notes {
      let warning = if case .leftDense(.notSmaller) = note.reason { "warning" } else { "note" }
      console.printError("\(warning): \(TerminalText.escaped(note.description))")
    }
    BLASThreads.set(1)  // slices run in parallel; one BLAS thread each
    let progress = ProgressBar(console: console, total: file.tensors.count, label: "compress")
    let started = DispatchTime.now().uptimeNanoseconds
    var reports: [CompressedLayerReport] = []
    do {
      // Over several ranks every layer is compressed and gathered on rank 0, which alone writes.
      let precomputed = try MonarchCompressRanks.compressAndGather(
        plan, from: file, compareLowRank: compareLowRank, group: group, console: console)
      try RankAgreement.onRankZero(group, writing: outputPath) {
        if let folder {
          reports = try folder.write(
            plan, to: URL(fileURLWithPath: outputPath), settings: settings(arguments), compareLowRank: compareLowRank,
            precomputed: precomputed
          ) { progress.update($0, item: $1) }
        } else {
          reports = try OutputPaths.write("output", of: arguments) { url, inputs in
            let writer = try SafetensorsWriter(
              url: url, entries: plan.entries, metadata: file.metadata.merging(plan.metadata) { _, new in new },
              protectedInputs: inputs)
            do {
              let reports = try plan.write(
                from: file, to: writer, compareLowRank: compareLowRank, precomputed: precomputed
              ) { progress.update($0, item: $1) }
              try writer.finish()
              return reports
            } catch {
              writer.abandon()
              throw nonFiniteWeight(error, in: file, source: source) ?? error
            }
          }
        }
      }
    } catch {
      progress.finish()
      if let error = error as? CommandError { throw error }
      if let error = nonFiniteWeight(error, in: file, source: source) { throw error }
      throw CommandError.failure("compressing \(source) into \(outputPath): \(error)")
    }
    progress.finish()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
    if arguments.flag("json") {
      let rows = JSONValue.array(reports.map(json))
      if folder == nil {
        console.print(rows.serialized())
      } else {
        console.print(
          JSONValue.object([
            ("output", .string(outputPath)), ("layers", rows),
            ("left_unchanged", .array(plan.notes.map { .object([("name", .string($0.tensor)), ("reason", .string($0.reason.description))]) })),
            ("dense_parameters", .int(plan.denseParameters)), ("monarch_parameters", .int(plan.monarchParameters)),
            ("seconds", .number(seconds)),
          ]).serialized())
      }
    } else {
      console.print(table(reports))
      console.print(
        "\(reports.count) of \(file.tensors.count) tensors compressed: \(plan.monarchParameters) of "
          + "\(plan.denseParameters) parameters kept (\(MonarchFiles.percent(Double(plan.monarchParameters) / Double(max(1, plan.denseParameters)))))"
          + " in \(formatted(seconds)) s; wrote \(outputPath)")
    }
  }

  /// The failure naming the row and column of a weight that holds NaN or infinity, or `nil` for other errors.
  static func nonFiniteWeight(_ error: any Error, in file: SafetensorsFile, source: String) -> CommandError? {
    guard case MonarchError.nonFinite(let argument, let index, let value) = error,
      let info = file.tensors.first(where: { "tensor '\($0.name)'" == argument }), info.shape.count == 2
    else { return nil }
    return CommandError.failure(
      "\(argument) in \(source) holds \(value) at row \(index / info.shape[1]), column \(index % info.shape[1]); "
        + "weights must be finite")
  }

  /// The layout rule of `--blocks`, `--rank` and `--keep`.
  static func layoutRule(_ arguments: ParsedArguments) throws -> MonarchLayoutRule {
    let blocks = try arguments.int("blocks", in: 1...Int(Int32.max))
    let rank = try arguments.int("rank", in: 1...Int(Int32.max))
    guard let keepText = arguments.string("keep") else {
      guard let blocks else { throw CommandError.usage("missing required option '--blocks' (or '--keep')") }
      return .blocks(blocks, rank: rank)
    }
    guard let keep = Double(keepText), keep > 0, keep < 1 else {
      throw CommandError.usage("option '--keep' must be a fraction in (0, 1), got '\(keepText)'")
    }
    guard rank == nil else {
      throw CommandError.usage("options '--keep' and '--rank' exclude each other: the budget picks the rank")
    }
    return .budget(fraction: keep, blocks: blocks.map { [$0] } ?? MonarchLayoutRule.budgetBlockCounts)
  }

  /// The layout options as given, for messages: `options '--blocks 2 --rank 192'`.
  static func layoutOptions(_ arguments: ParsedArguments) -> String {
    let given = ["blocks", "rank", "keep"].compactMap { name in arguments.string(name).map { "--\(name) \($0)" } }
    return "option\(given.count == 1 ? "" : "s") '\(given.joined(separator: " "))'"
  }

  /// The command's settings as the folder's `structml_monarch` section records them.
  static func settings(_ arguments: ParsedArguments) -> [String: Any] {
    var settings: [String: Any] = [:]
    for name in ["blocks", "rank", "keep", "include", "min-size"] {
      if let value = arguments.string(name) { settings[name] = value }
    }
    return settings
  }

  /// One compressed layer as JSON.
  static func json(_ report: CompressedLayerReport) -> JSONValue {
    let layout = report.layer.layout
    var members: [(String, JSONValue)] = [
      ("name", .string(report.layer.tensor)), ("prefix", .string(report.layer.prefix)),
      ("rows", .int(layout.outFeatures)), ("cols", .int(layout.inFeatures)),
      ("stored_input_major", .bool(report.layer.inputMajor)),
      ("in_blocks", .int(layout.inBlocks)), ("out_blocks", .int(layout.outBlocks)),
      ("rank", layout.sliceRank.map { .int($0) } ?? .null),
      ("w1_shape", .array(layout.firstFactorShape.map { .int($0) })),
      ("w2_shape", .array(layout.secondFactorShape.map { .int($0) })),
      ("parameters", .int(layout.parameterCount)), ("dense_parameters", .int(layout.inFeatures * layout.outFeatures)),
      ("error", .number(report.error)), ("relative_error", .number(report.relativeError)),
      ("seconds", .number(report.seconds)),
    ]
    if let lowRank = report.lowRank {
      members += [
        ("lowrank_rank", .int(lowRank.rank)), ("lowrank_parameters", .int(lowRank.parameterCount)),
        ("lowrank_relative_error", .number(lowRank.relativeError)),
      ]
    }
    return .object(members)
  }

  static func table(_ reports: [CompressedLayerReport]) -> String {
    let lowRank = reports.contains { $0.lowRank != nil }
    var lines = [
      "| tensor | shape | layout | parameters kept | Monarch error |" + (lowRank ? " low-rank error (equal parameters) |" : "")
    ]
    lines.append("|---|---|---|---|---|" + (lowRank ? "---|" : ""))
    for report in reports {
      let layout = report.layer.layout
      let dense = layout.inFeatures * layout.outFeatures
      var line =
        "| \(TerminalText.escaped(report.layer.tensor)) | \(layout.outFeatures)×\(layout.inFeatures)"
        + (report.layer.inputMajor ? " (stored transposed)" : "") + " | "
        + "\(layout.inBlocks)×\(layout.outBlocks) blocks, rank \(layout.sliceRank.map { "\($0)" } ?? "mixed") | "
        + "\(layout.parameterCount) (\(MonarchFiles.percent(Double(layout.parameterCount) / Double(dense)))) | "
        + "\(MonarchFiles.percent(report.relativeError)) |"
      if let baseline = report.lowRank {
        line += " \(MonarchFiles.percent(baseline.relativeError)) (rank \(baseline.rank)) |"
      }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }
}
