import Distributed
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
    let group = console.processGroup
    let file = try RankAgreement.onEveryRank(group) {
      do {
        return try SafetensorsFile(contentsOf: URL(fileURLWithPath: inputPath))
      } catch {
        throw CommandError.failure("cannot read \(inputPath): \(error)")
      }
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
    func compress(_ index: Int) throws -> MonarchCompressRanks.Layer {
      let (info, layout) = (plans[index].info, plans[index].layout!)
      let report = try MonarchProjectCommand.measure(
        try file.tensorData(named: info.name).tensor(as: Float.self), layout: layout,
        name: "tensor '\(info.name)' in \(inputPath)")
      return .init(
        w1: try TensorData(report.projection.matrix.w1, as: info.dtype),
        w2: try TensorData(report.projection.matrix.w2, as: info.dtype), row: LayerRow(name: info.name, report: report))
    }
    // Over several ranks every layer is compressed and gathered on rank 0 before it writes.
    let gathered = try MonarchCompressRanks.compressAndGather(
      plans.indices.compactMap { i in plans[i].layout.map { (i, $0, plans[i].info.dtype) } }, group: group,
      console: console, compress)
    var rows: [LayerRow] = []
    try RankAgreement.onRankZero(group, writing: outputPath) {
      let writer = try OutputPaths.write("output", of: arguments) { url, inputs in
        try SafetensorsWriter(url: url, entries: entries, metadata: metadata, protectedInputs: inputs)
      }
      let progress = ProgressBar(console: console, total: plans.count, label: "compress")
      do {
        for (index, (info, layout)) in plans.enumerated() {
          progress.update(index, item: info.name)
          guard let layout else {
            try writer.append(name: info.name, data: try file.tensorData(named: info.name))
            continue
          }
          let layer = try gathered?[index] ?? compress(index)
          let names = MonarchCheckpoint.entries(for: layout, prefix: info.name, naming: naming).map(\.name)
          try writer.append(name: names[0], data: layer.w1)
          try writer.append(name: names[1], data: layer.w2)
          rows.append(layer.row)
        }
        try writer.finish()
      } catch {
        writer.abandon()
        progress.finish()
        if let error = error as? CommandError { throw error }
        throw CommandError.failure("compressing \(inputPath) into \(outputPath): \(error)")
      }
      progress.finish()
    }
    if arguments.flag("json") {
      console.print("[" + rows.map(\.jsonText).joined(separator: ",") + "]")
    } else {
      console.print(table(rows))
      let kept = rows.reduce(0) { $0 + $1.keptParameters }
      let dense = rows.reduce(0) { $0 + $1.denseParameters }
      console.print(
        "\(rows.count) of \(plans.count) tensors compressed: \(kept) of \(dense) parameters kept; wrote \(outputPath)")
    }
  }

  /// One compressed layer in the report, as text and counts (so that a rank can send it to rank 0).
  struct LayerRow {
    let name: String
    /// The layer's JSON object.
    let jsonText: String
    /// The layer's row of the Markdown table.
    let tableLine: String
    let keptParameters: Int
    let denseParameters: Int

    init(name: String, jsonText: String, tableLine: String, keptParameters: Int, denseParameters: Int) {
      (self.name, self.jsonText, self.tableLine) = (name, jsonText, tableLine)
      (self.keptParameters, self.denseParameters) = (keptParameters, denseParameters)
    }

    init(name: String, report: MonarchProjectCommand.Report) {
      let layout = report.layout
      let dense = layout.inFeatures * layout.outFeatures
      var json = report.json
      if case .object(let members) = json { json = .object([("name", .string(name))] + members) }
      self.init(
        name: name, jsonText: json.serialized(),
        tableLine: "| \(TerminalText.escaped(name)) | \(layout.outFeatures)×\(layout.inFeatures) | \(layout.parameterCount) "
          + "(\(MonarchFiles.percent(Double(layout.parameterCount) / Double(dense)))) | "
          + "\(MonarchFiles.percent(report.projection.relativeError)) | "
          + "\(MonarchFiles.percent(report.lowRank.relativeError)) (rank \(report.lowRank.rank)) |",
        keptParameters: layout.parameterCount, denseParameters: dense)
    }
  }

  static func table(_ rows: [LayerRow]) -> String {
    var lines = ["| tensor | shape | parameters kept | Monarch error | low-rank error (equal parameters) |"]
    lines.append("|---|---|---|---|---|")
    lines += rows.map(\.tableLine)
    return lines.joined(separator: "\n")
  }
}
