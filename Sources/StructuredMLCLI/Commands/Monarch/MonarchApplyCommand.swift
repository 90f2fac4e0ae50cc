import Foundation
import Monarch
import TensorCore
import TensorFiles

/// `structml monarch apply`: multiplies a batch of rows by a Monarch matrix from a factor file, `Y = X Mᵀ`.
enum MonarchApplyCommand {
  static let command = Command(
    path: ["monarch", "apply"],
    summary: "multiply rows by Monarch factors: Y = X Mᵀ",
    options: [
      .input(
        "factors", "FACTORS.safetensors[:LAYER]",
        "a 'monarch project' output, or one layer of a 'monarch compress' output or PyTorch checkpoint"),
      .input("input", "X.npy", "rows, shape (batch, in)"),
      .output("output", "Y.npy", "where to write Y, shape (batch, out)"),
    ]
  ) { arguments, console in
    let factorsPath = try arguments.requiredString("factors")
    let inputPath = try arguments.requiredString("input")
    let outputPath = try arguments.requiredString("output")
    let m = try MonarchFiles.readFactors(factorsPath)
    let data: TensorData
    do {
      data = try NPYFile.read(URL(fileURLWithPath: inputPath))
    } catch {
      throw CommandError.failure("cannot read \(inputPath): \(error)")
    }
    guard data.shape.count == 2, data.shape[1] == m.layout.inFeatures else {
      throw CommandError.failure(
        "\(inputPath) has shape \(data.shape), expected (batch, \(m.layout.inFeatures)) for \(m.layout)")
    }
    let x: Tensor<Float>
    do {
      x = try data.tensor(as: Float.self)
    } catch {
      throw CommandError.failure("cannot convert \(inputPath): \(error)")
    }
    if let index = x.scalars.firstIndex(where: { !$0.isFinite }) {
      throw CommandError.failure(
        "\(inputPath) holds \(x.scalars[index]) at row \(index / x.columns), column \(index % x.columns); "
          + "inputs must be finite")
    }
    // The output is batch × out floats; factors and inputs of modest size can ask for terabytes.
    // The product and its encoded copy, both batch × out floats.
    try MemoryBudget.require(
      MemoryBudget.product([2, x.rows, m.layout.outFeatures, MemoryLayout<Float>.size]),
      for: "the output of \(x.rows) rows × \(m.layout.outFeatures) columns (from \(inputPath) and \(factorsPath))",
      error: CommandError.failure)
    BLASThreads.set(1)
    let y: Tensor<Float>
    do {
      y = try m.multiply(x)
    } catch {
      throw CommandError.failure("\(inputPath): \(error)")
    }
    if let index = y.scalars.firstIndex(where: { !$0.isFinite }) {
      throw CommandError.failure(
        "the product overflows Float: output row \(index / y.columns), column \(index % y.columns) of "
          + "\(inputPath) times \(factorsPath) is \(y.scalars[index])")
    }
    try OutputPaths.write("output", of: arguments) { url, inputs in
      try NPYFile.write(try TensorData(y), to: url, protectedInputs: inputs)
    }
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("batch", .int(x.rows)), ("in_features", .int(m.layout.inFeatures)),
          ("out_features", .int(m.layout.outFeatures)), ("output", .string(outputPath)),
        ]).serialized())
    } else {
      console.print("wrote \(outputPath): \(x.rows)×\(m.layout.outFeatures)")
    }
  }
}
