import Distributed
import Foundation
import TensorFiles

/// The `structml` command-line tool: finds the command named by the arguments and runs it.
public enum StructuredMLTool {
  /// The tool's version, printed by `structml --version`.
  public static let version = "0.1.0"

  /// Runs the tool on the process's arguments and exits with its status.
  ///
  /// SIGINT, SIGTERM and SIGHUP remove the temporary file of any output being written and end the process
  /// with status 128 + the signal number (`AtomicFile.removeTemporaryFilesOnSignals()`). Under `mpirun` the
  /// process first joins the MPI job (`ProcessGroups.current()`) and checks that every rank has the same
  /// arguments; a failing rank exits 1 without `MPI_Finalize`, so that `mpirun` stops the others.
  public static func main() -> Never {
    AtomicFile.removeTemporaryFilesOnSignals()
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let error = ProcessGroupStartup.join(arguments: arguments) {
      Console.standard().printError("structml: \(TerminalText.escaped(error.description))")
      exit(1)
    }
    // After a successful join this is the group joined there (a group of one outside mpirun).
    let group = (try? ProcessGroups.current()) ?? SingleProcessGroup()
    let status = run(arguments, console: .standard(processGroup: group))
    // A rank that fails skips MPI_Finalize, so that mpirun stops the others instead of leaving them waiting.
    if status == 0 { MPIProcessGroup.finalizeIfStarted() }
    exit(status)
  }

  /// Runs the tool on `arguments` (without the program name) and returns the exit status:
  /// 0 on success, 1 on a failure, 2 on a usage error.
  ///
  /// Every output the arguments name is checked (``OutputPaths/check(_:)``) before the command starts.
  public static func run(_ arguments: [String], console: Console) -> Int32 {
    if arguments.first == "--version" {
      console.print("structml \(version)")
      return 0
    }
    let commands = CommandRegistry.all
    guard let command = commands.filter({ arguments.starts(with: $0.path) }).max(by: { $0.path.count < $1.path.count })
    else {
      let words = arguments.prefix { !$0.hasPrefix("-") }
      let isHelp = arguments.isEmpty || arguments.contains("--help") || arguments.contains("-h")
      let groups = commands.filter { $0.path.starts(with: words) && !words.isEmpty }
      if isHelp {
        console.print(overview(commands: groups.isEmpty ? commands : groups))
        return 0
      }
      if !groups.isEmpty {
        // A group word without its subcommand is a usage error: say so on standard error.
        console.printError("structml: '\(words.joined(separator: " "))' needs a subcommand")
        console.printError(overview(commands: groups))
        return 2
      }
      console.printError("structml: unknown command '\(words.joined(separator: " "))'")
      console.printError(overview(commands: commands))
      return 2
    }
    let rest = Array(arguments.dropFirst(command.path.count))
    if rest.contains("--help") || rest.contains("-h") {
      console.print(command.help)
      return 0
    }
    do {
      let parsed = try ParsedArguments(rest, options: command.allOptions)
      // A command without operands takes no positional argument; a stray word is a mistake, not ignored.
      if command.operands.isEmpty, let extra = parsed.positional.first {
        throw CommandError.usage("unexpected argument '\(extra)'")
      }
      try OutputPaths.check(parsed)
      try command.run(parsed, console)
      return 0
    } catch let error as CommandError {
      // Messages quote names and paths taken from files and arguments: escape them for the terminal.
      console.printFailure("structml \(command.path.joined(separator: " ")): \(TerminalText.escaped(error.description))")
      if case .usage = error { console.printError("usage: \(command.usage)") }
      return error.exitCode
    } catch {
      console.printFailure("structml \(command.path.joined(separator: " ")): \(TerminalText.escaped("\(error)"))")
      return 1
    }
  }

  /// The list of commands with their summaries.
  static func overview(commands: [Command]) -> String {
    var lines = ["structml \(version): structured deep-learning building blocks", "", "commands:"]
    let width = commands.map { $0.path.joined(separator: " ").count }.max() ?? 0
    for command in commands {
      let name = command.path.joined(separator: " ")
      lines.append("  " + name.padding(toLength: width + 3, withPad: " ", startingAt: 0) + command.summary)
    }
    lines.append("")
    lines.append("Run 'structml COMMAND --help' for a command's options; 'structml --version' for the version.")
    return lines.joined(separator: "\n")
  }
}
