import Foundation
import ProbabilityMaps
import TensorCore
import TensorFiles

/// `structml probmap`: applies a probability map along the last axis of an `.npy` array and writes the result.
enum ProbmapCommand {
  static let command = Command(
    path: ["probmap"],
    summary: "apply softmax, sparsemax, entmax, ... along the last axis of an .npy array",
    options: [
      .value("map", "MAP", ProbabilityMapChoice.names.joined(separator: "|")),
      .input("input", "X.npy", "scores (float32 or float64), rows along the last axis"),
      .output("output", "P.npy", "where to write the probabilities (same dtype and shape)"),
      .value("alpha", "A", "alpha of --map entmax, >= 1 (default 1.5)"),
      .value("k", "K", "support size of --map topk (default 10)"),
      .value("temperature", "T", "temperature of softmax, logsoftmax and topk (default 1)"),
    ]
  ) { arguments, console in
    let name = try arguments.choice("map", ProbabilityMapChoice.names)
    guard let name else { throw CommandError.usage("missing required option '--map'") }
    try ProbabilityMapChoice.checkApplicable(name) { arguments.string($0) != nil }
    let input = URL(fileURLWithPath: try arguments.requiredString("input"))
    let output = URL(fileURLWithPath: try arguments.requiredString("output"))
    let map = try ProbabilityMapChoice.make(
      name, alpha: try arguments.double("alpha", default: 1.5)!, k: try arguments.int("k", default: 10)!,
      temperature: try arguments.double("temperature", default: 1)!)
    try checkMemory(for: input)
    let data: TensorData
    do {
      data = try NPYFile.read(input)
    } catch {
      throw CommandError.failure("cannot read \(input.path): \(error)")
    }
    guard !data.shape.isEmpty, data.shape.last! > 0 else {
      throw CommandError.failure("\(input.path): needs at least one non-empty axis, has shape \(data.shape)")
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let result: (TensorData, rows: Int, support: Int, invalidRow: Int?)
    do {
      switch data.dtype {
      case .float32: result = try apply(map, to: try data.tensor(as: Float.self))
      case .float64: result = try apply(map, to: try data.tensor(as: Double.self))
      default:
        throw CommandError.failure("\(input.path): scores must be float32 or float64, got \(data.dtype.rawValue)")
      }
    } catch let error as ProbabilityMapError {
      throw CommandError.failure("\(input.path): \(error)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    if let row = result.invalidRow {
      throw CommandError.failure(
        "\(input.path): row \(row) holds a NaN or +inf score, for which every map returns NaN; nothing written")
    }
    try OutputPaths.write("output", of: arguments) { url, inputs in
      try NPYFile.write(result.0, to: url, protectedInputs: inputs)
    }
    let meanSupport = Double(result.support) / Double(max(result.rows, 1))
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("map", .string(name)), ("input", .string(input.path)), ("output", .string(output.path)),
          ("shape", .array(data.shape.map(JSONValue.int))), ("rows", .int(result.rows)),
          ("mean_support", .number(meanSupport)), ("seconds", .number(seconds)),
        ]).serialized())
    } else {
      console.print(
        "\(name): \(result.rows) rows of \(data.shape.last!) → \(output.path); mean support "
          + "\(formatted(meanSupport)) in \(formatted(seconds)) s")
    }
  }

  /// Refuses an input whose processing would not fit in physical memory: the file, the scores, the
  /// probabilities and their encoded copy are held at once, so about four times its size.
  static func checkMemory(for input: URL) throws {
    guard let size = (try? FileManager.default.attributesOfItem(atPath: input.path))?[.size] as? Int else { return }
    try MemoryBudget.require(MemoryBudget.product([size, 4]), for: "\(input.path) (\(MemoryBudget.describe(size)))") {
      CommandError.failure($0)
    }
  }

  /// Runs the map, counts the positive (finite, for log-softmax) entries and finds the first row holding a
  /// NaN or `+inf` score.
  static func apply<S: ProbabilityScalar>(_ map: any ProbabilityMap, to scores: Tensor<S>) throws
    -> (TensorData, rows: Int, support: Int, invalidRow: Int?)
  {
    let n = scores.shape.last!
    let invalid = scores.scalars.firstIndex { $0.isNaN || $0 == .infinity }
    let probabilities = try map.forward(scores)
    let support =
      map is LogSoftmax
      ? probabilities.scalars.filter { $0.isFinite }.count : probabilities.scalars.filter { $0 > 0 }.count
    return (try TensorData(probabilities), scores.count / n, support, invalid.map { $0 / n })
  }
}
