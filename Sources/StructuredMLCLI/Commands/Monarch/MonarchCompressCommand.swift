import Foundation
import Monarch
import TensorCore
import TensorFiles

/// `structml monarch compress`: replaces every matching 2-D weight of a checkpoint by its Monarch factors,
/// streaming one tensor at a time into a new `.safetensors` file.
enum MonarchCompressCommand {
  static let command = Command(
    path: ["monarch", "compress"],
    summary: "replace the 2-D weights of a .safetensors checkpoint by Monarch factors, tensor by tensor",
    options: [
      .input("input", "MODEL.safetensors", "the checkpoint (read memory-mapped, one tensor at a time)"),
      .output("output", "OUT.safetensors", "the compressed checkpoint (written atomically)"),
      .value("blocks", "B", "blocks of both factors"),
      .value("rank", "R", "slice rank (default max(1, min(rows, cols) / B²) per layer)"),
      .value(
        "include", "REGEX",
        "compress only tensors whose name matches (linear-time subset: literals . [] ^ $ * + ? {m,n} ( ) |; "
          + "default: every 2-D float tensor)"),
      .value("min-size", "N", "compress only matrices with at least N elements (default 1)"),
      MonarchFiles.namingOption,
    ]
  ) { arguments, console in
    let inputPath = try arguments.requiredString("input")
    let outputPath = try arguments.requiredString("output")
    let blocks = try arguments.int("blocks", in: 1...Int(Int32.max))
    guard let blocks else { throw CommandError.usage("missing required option '--blocks'") }
    let rank = try arguments.int("rank", in: 1...Int(Int32.max))
    let minimumSize = try arguments.int("min-size", default: 1, in: 0...Int.max)!
    let naming = try MonarchFiles.naming(arguments)
    let include: LinearTimePattern?
    do {
      include = try arguments.string("include").map { try LinearTimePattern($0) }
    } catch {
      throw CommandError.usage("option '--include': \(error)")
    }
    let file: SafetensorsFile
    do {
      file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: inputPath))
    } catch {
      throw CommandError.failure("cannot read \(inputPath): \(error)")
    }
    // Decide every layout before writing anything, so that a bad shape stops the command with no output file.
    var plans: [(info: TensorInfo, layout: MonarchLayout?)] = []
    for info in file.tensors {
      let floating = TensorData.floatingPointStorageTypes.contains(info.dtype)
      let matches = include.map { $0.matches(info.name) } ?? true
      guard info.shape.count == 2, floating, matches, info.elementCount >= minimumSize else {
        plans.append((info, nil))
        continue
      }
      let layout = try MonarchFiles.layout(
        rows: info.shape[0], columns: info.shape[1], blocks: blocks, inBlocks: nil, outBlocks: nil, rank: rank,
        name: "tensor '\(info.name)' in \(inputPath)")
      plans.append((info, layout))
    }
    var entries: [SafetensorsWriter.Entry] = []
    var metadata = file.metadata
    for (info, layout) in plans {
      if let layout {
        entries += MonarchCheckpoint.entries(for: layout, prefix: info.name, naming: naming, dtype: info.dtype)
        metadata.merge(MonarchCheckpoint.metadata(for: layout, prefix: info.name)) { _, new in new }
      } else {
        entries.append((info.name, info.dtype, info.shape))
      }
    }
    let writer = try OutputPaths.write("output", of: arguments) { url, inputs in
      try SafetensorsWriter(url: url, entries: entries, metadata: metadata, protectedInputs: inputs)
    }
    var rows: [LayerRow] = []
    let progress = ProgressBar(console: console, total: plans.count, label: "compress")
    do {
      for (index, (info, layout)) in plans.enumerated() {
        progress.update(index, item: info.name)
        let data = try file.tensorData(named: info.name)
        guard let layout else {
          try writer.append(name: info.name, data: data)
          continue
        }
        let report = try MonarchProjectCommand.measure(
          try data.tensor(as: Float.self), layout: layout, name: "tensor '\(info.name)' in \(inputPath)")
        let names = MonarchCheckpoint.entries(for: layout, prefix: info.name, naming: naming).map(\.name)
        try writer.append(name: names[0], data: try TensorData(report.projection.matrix.w1, as: info.dtype))
        try writer.append(name: names[1], data: try TensorData(report.projection.matrix.w2, as: info.dtype))
        rows.append(LayerRow(name: info.name, report: report))
      }
      try writer.finish()
    } catch {
      writer.abandon()
      progress.finish()
      if let error = error as? CommandError { throw error }
      throw CommandError.failure("compressing \(inputPath) into \(outputPath): \(error)")
    }
    progress.finish()
    if arguments.flag("json") {
      console.print(JSONValue.array(rows.map(\.json)).serialized())
    } else {
      console.print(table(rows))
      let kept = rows.reduce(0) { $0 + $1.report.layout.parameterCount }
      let dense = rows.reduce(0) { $0 + $1.report.layout.inFeatures * $1.report.layout.outFeatures }
      console.print(
        "\(rows.count) of \(plans.count) tensors compressed: \(kept) of \(dense) parameters kept; wrote \(outputPath)")
    }
  }

  /// One compressed layer in the report.
  struct LayerRow {
    let name: String
    let report: MonarchProjectCommand.Report

    var json: JSONValue {
      guard case .object(let members) = report.json else { return report.json }
      return .object([("name", .string(name))] + members)
    }
  }

  static func table(_ rows: [LayerRow]) -> String {
    var lines = ["| tensor | shape | parameters kept | Monarch error | low-rank error (equal parameters) |"]
    lines.append("|---|---|---|---|---|")
    for row in rows {
      let layout = row.report.layout
      let dense = layout.inFeatures * layout.outFeatures
      lines.append(
        "| \(TerminalText.escaped(row.name)) | \(layout.outFeatures)×\(layout.inFeatures) | \(layout.parameterCount) "
          + "(\(MonarchFiles.percent(Double(layout.parameterCount) / Double(dense)))) | "
          + "\(MonarchFiles.percent(row.report.projection.relativeError)) | "
          + "\(MonarchFiles.percent(row.report.lowRank.relativeError)) (rank \(row.report.lowRank.rank)) |")
    }
    return lines.joined(separator: "\n")
  }
}
