/// One `structml` subcommand: its words, its help and its work.
///
/// Each command is a value that tests can run on a captured ``Console``; `structml`'s `main` only
/// looks the command up and calls ``run``.
public struct Command: Sendable {
  /// The words that select the command, such as `["bench", "gemm"]`.
  public let path: [String]
  /// One line that says what the command does.
  public let summary: String
  /// Operands after the command words, as shown in the usage line (`"FILE"`), or empty.
  public let operands: String
  /// The options the command accepts (`--help` and `--json` are added where they apply).
  public let options: [OptionSpec]
  /// Whether the command reports something and so takes `--json`.
  public let reportsJSON: Bool
  /// Paragraphs the help prints after the options (how to use the result), or empty.
  public let notes: String
  /// Does the work; throws ``CommandError`` for usage errors and failures.
  public let run: @Sendable (ParsedArguments, Console) throws -> Void

  public init(
    path: [String], summary: String, operands: String = "", options: [OptionSpec] = [],
    reportsJSON: Bool = true, notes: String = "", run: @escaping @Sendable (ParsedArguments, Console) throws -> Void
  ) {
    self.path = path
    self.summary = summary
    self.operands = operands
    self.options = options
    self.reportsJSON = reportsJSON
    self.notes = notes
    self.run = run
  }

  /// Every option, including the standard `--json` and `--help`.
  public var allOptions: [OptionSpec] {
    options + (reportsJSON ? [.flag("json", "print one JSON object on standard output")] : [])
      + [.flag("help", "show this help")]
  }

  /// The one-line usage.
  public var usage: String {
    let optionText = allOptions.filter { $0.name != "help" }.map { option in
      option.valueName.map { "[--\(option.name) \($0)]" } ?? "[--\(option.name)]"
    }
    return (["structml"] + path + (operands.isEmpty ? [] : [operands]) + optionText).joined(separator: " ")
  }

  /// What the help of a command that writes files says about its outputs.
  static let outputNote = """
    Outputs are checked before any work starts: each must be in a writable folder, must not be an input
    (however named) or another output, and must not be a symbolic link, folder, FIFO or device. Each is
    written to a hidden .partial file renamed into place when complete (keeping the permissions of a file
    it replaces); a failure or SIGINT/SIGTERM/SIGHUP removes it (exit 128 + signal) and leaves old files intact.
    """

  /// The full help text.
  public var help: String {
    var lines = [summary, "", "usage: \(usage)", "", "options:"]
    let width = allOptions.map { $0.name.count + ($0.valueName?.count ?? 0) }.max() ?? 0
    for option in allOptions {
      let left = "--\(option.name)" + (option.valueName.map { " \($0)" } ?? "")
      lines.append("  " + left.padding(toLength: width + 6, withPad: " ", startingAt: 0) + option.help)
    }
    if options.contains(where: { $0.file != nil && $0.file != .input }) {
      lines += ["", Self.outputNote]
    }
    if !notes.isEmpty {
      lines += ["", notes]
    }
    return lines.joined(separator: "\n")
  }
}
