import Foundation
import TensorFiles

/// `structml inspect FILE`: lists the tensors of a `.npy` or `.safetensors` file, optionally with
/// statistics computed one tensor at a time.
enum InspectCommand {
  static let command = Command(
    path: ["inspect"],
    summary: "list the tensors of a .npy or .safetensors file (name, dtype, shape, bytes)",
    operands: "FILE",
    options: [.flag("stats", "also compute min, max, mean and NaN count of every tensor")]
  ) { arguments, console in
    guard arguments.positional.count == 1, let path = arguments.positional.first else {
      throw CommandError.usage("expected exactly one FILE, got \(arguments.positional.count)")
    }
    let report = try inspect(URL(fileURLWithPath: path), withStatistics: arguments.flag("stats"))
    if arguments.flag("json") {
      console.print(report.json.serialized())
    } else {
      console.print(report.table)
    }
  }

  /// A tensor's listing line: what the file says, and the statistics when asked for.
  struct Row {
    let info: TensorInfo
    let statistics: TensorStatistics?
  }

  /// Everything `inspect` reports about one file.
  struct Report {
    let path: String
    let format: String
    let metadata: [String: String]
    let rows: [Row]
    let withStatistics: Bool

    var json: JSONValue {
      func optional(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
      func exact(_ value: TensorStatistics.Value?) -> JSONValue {
        switch value {
        case .integer(let integer): return .integer(integer)
        case .unsignedInteger(let integer): return .unsignedInteger(integer)
        case .real(let real): return .number(real)
        case nil: return .null
        }
      }
      let tensors = rows.map { row -> JSONValue in
        var members: [(String, JSONValue)] = [
          ("name", .string(row.info.name)), ("dtype", .string(row.info.dtype.rawValue)),
          ("shape", .array(row.info.shape.map(JSONValue.int))), ("bytes", .int(row.info.byteCount)),
        ]
        if withStatistics {
          let statistics = row.statistics
          members += [
            ("min", exact(statistics?.smallest)), ("max", exact(statistics?.largest)),
            ("mean", optional(statistics?.mean)), ("nan_count", statistics.map { .int($0.nanCount) } ?? .null),
          ]
        }
        return .object(members)
      }
      return .object([
        ("file", .string(path)), ("format", .string(format)),
        ("metadata", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0] ?? "")) })),
        ("tensors", .array(tensors)),
      ])
    }

    /// The report as text; every name, key, value and the path are escaped (``TerminalText``, the table's
    /// cells by ``TextTable``), so that a file cannot send escape sequences to the terminal or forge rows.
    var table: String {
      let totalBytes = rows.reduce(0) { $0 + $1.info.byteCount }
      let escaped = TerminalText.escaped
      var lines = ["\(escaped(path)): \(format), \(rows.count) tensor(s), \(totalBytes) bytes of data"]
      for key in metadata.keys.sorted() { lines.append("  metadata \(escaped(key)) = \(escaped(metadata[key] ?? ""))") }
      var header = ["name", "dtype", "shape", "bytes"]
      if withStatistics { header += ["min", "max", "mean", "nan"] }
      func number(_ value: Double?) -> String { value.map { formatted($0, digits: 6) } ?? "-" }
      func exact(_ value: TensorStatistics.Value?) -> String {
        switch value {
        case .integer(let integer): return String(integer)
        case .unsignedInteger(let integer): return String(integer)
        case .real(let real): return number(real)
        case nil: return "-"
        }
      }
      let cells = rows.map { row -> [String] in
        var cells = [
          row.info.name, row.info.dtype.rawValue, "[" + row.info.shape.map(String.init).joined(separator: ", ") + "]",
          String(row.info.byteCount),
        ]
        if withStatistics {
          let statistics = row.statistics
          cells += [
            exact(statistics?.smallest), exact(statistics?.largest), number(statistics?.mean),
            statistics.map { String($0.nanCount) } ?? "-",
          ]
        }
        return cells
      }
      lines += TextTable(header: header, rows: cells, firstNumericColumn: 3).lines
      return lines.joined(separator: "\n")
    }
  }

  /// Reads the header of `url` and, with `withStatistics`, the statistics of each tensor in turn, read
  /// straight from the file in chunks (memory stays at one chunk whatever the tensor sizes).
  ///
  /// - Throws: ``CommandError/usage(_:)`` for an extension other than `.npy` or `.safetensors`,
  ///   ``CommandError/failure(_:)`` with the reader's message for a file that cannot be read.
  static func inspect(_ url: URL, withStatistics: Bool) throws -> Report {
    let path = url.path
    do {
      switch url.pathExtension.lowercased() {
      case "npy":
        let file = try NPYFile(contentsOf: url)
        let statistics = withStatistics ? try file.statistics() : nil
        return Report(
          path: path, format: "npy", metadata: [:], rows: [Row(info: file.info, statistics: statistics)],
          withStatistics: withStatistics)
      case "safetensors":
        let file = try SafetensorsFile(contentsOf: url)
        let rows = try file.tensors.map { info in
          Row(
            info: info,
            statistics: withStatistics && info.dtype.isNumeric
              ? try file.statistics(named: info.name) : nil)
        }
        return Report(
          path: path, format: "safetensors", metadata: file.metadata, rows: rows, withStatistics: withStatistics)
      default:
        throw CommandError.usage(
          "FILE '\(path)' has an unknown extension '\(url.pathExtension)'; expected .npy or .safetensors")
      }
    } catch let error as TensorFileError {
      throw CommandError.failure(error.description)
    }
  }
}
