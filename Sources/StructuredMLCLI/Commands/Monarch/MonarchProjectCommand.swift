import Foundation
import Monarch
import TensorCore
import TensorFiles

/// `structml monarch project`: the nearest Monarch matrix to a dense weight, with its error and the error of the
/// truncated SVD at the same parameter count.
enum MonarchProjectCommand {
  static let command = Command(
    path: ["monarch", "project"],
    summary: "project a dense matrix onto Monarch factors (per-slice truncated SVD) and report the error",
    options: [
      .input("input", "W.npy|FILE.safetensors:TENSOR", "the dense out×in matrix"),
      .value("blocks", "B", "blocks of both factors (k = l = B)"),
      .value("in-blocks", "K", "blocks of the first factor (overrides --blocks)"),
      .value("out-blocks", "L", "blocks of the second factor (overrides --blocks)"),
      .value("rank", "R", "slice rank (default max(1, min(rows, cols) / (K·L)))"),
      .output("output", "FACTORS.safetensors", "where to write w1, w2 and the shape metadata"),
      MonarchFiles.namingOption,
    ]
  ) { arguments, console in
    let input = try arguments.requiredString("input")
    let output = try arguments.requiredString("output")
    let naming = try MonarchFiles.naming(arguments)
    let (name, w) = try MonarchFiles.readMatrix(input)
    let layout = try MonarchFiles.layout(
      rows: w.rows, columns: w.columns, blocks: try arguments.int("blocks", in: 1...Int(Int32.max)),
      inBlocks: try arguments.int("in-blocks", in: 1...Int(Int32.max)),
      outBlocks: try arguments.int("out-blocks", in: 1...Int(Int32.max)),
      rank: try arguments.int("rank", in: 1...Int(Int32.max)), name: name)
    let report = try measure(w, layout: layout, name: name)
    try OutputPaths.write("output", of: arguments) { url, inputs in
      try SafetensorsWriter.write(
        [
          (naming.firstFactorName, try TensorData(report.projection.matrix.w1)),
          (naming.secondFactorName, try TensorData(report.projection.matrix.w2)),
        ],
        metadata: MonarchCheckpoint.metadata(for: layout).merging(["format": "pt"]) { a, _ in a },
        to: url, protectedInputs: inputs)
    }
    if arguments.flag("json") {
      console.print(report.json.serialized())
    } else {
      console.print(report.summary)
      console.print("factors written to \(output)")
    }
  }

  /// A projection with its low-rank comparison.
  struct Report {
    let layout: MonarchLayout
    let projection: MonarchProjection<Float>
    let lowRank: LowRankBaseline
    let seconds: Double

    var json: JSONValue {
      .object([
        ("rows", .int(layout.outFeatures)), ("cols", .int(layout.inFeatures)),
        ("in_blocks", .int(layout.inBlocks)), ("out_blocks", .int(layout.outBlocks)),
        ("rank", layout.sliceRank.map { .int($0) } ?? .null),
        ("w1_shape", .array(layout.firstFactorShape.map { .int($0) })),
        ("w2_shape", .array(layout.secondFactorShape.map { .int($0) })),
        ("parameters", .int(layout.parameterCount)),
        ("dense_parameters", .int(layout.inFeatures * layout.outFeatures)),
        ("error", .number(projection.error)), ("relative_error", .number(projection.relativeError)),
        ("lowrank_rank", .int(lowRank.rank)), ("lowrank_parameters", .int(lowRank.parameterCount)),
        ("lowrank_relative_error", .number(lowRank.relativeError)), ("seconds", .number(seconds)),
      ])
    }

    var summary: String {
      """
      \(layout)
        parameters: \(layout.parameterCount) of \(layout.inFeatures * layout.outFeatures) dense
        Monarch relative error:  \(formatted(projection.relativeError, digits: 6))
        rank-\(lowRank.rank) SVD relative error at \(lowRank.parameterCount) parameters: \
      \(formatted(lowRank.relativeError, digits: 6))
        projection time: \(formatted(seconds)) s
      """
    }
  }

  /// Projects `w` and computes the low-rank baseline at the same parameter count.
  static func measure(_ w: Tensor<Float>, layout: MonarchLayout, name: String) throws -> Report {
    BLASThreads.set(1)
    let start = DispatchTime.now().uptimeNanoseconds
    do {
      let projection = try project(w, onto: layout, name: name)
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      var generator = SeededGenerator(seed: 0)
      BLASThreads.set(processorCount)
      let lowRank = try LowRankBaseline(of: w, parameterCount: layout.parameterCount, using: &generator)
      return Report(layout: layout, projection: projection, lowRank: lowRank, seconds: seconds)
    } catch MonarchError.nonFinite(let argument, let index, let value) {
      throw CommandError.failure(
        "\(argument) holds \(value) at row \(index / w.columns), column \(index % w.columns); weights must be finite")
    } catch {
      throw CommandError.failure("\(error)")
    }
  }
}
