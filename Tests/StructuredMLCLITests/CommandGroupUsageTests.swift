import StructuredMLCLI
import Testing

/// A command group without its subcommand (`structml bench`) is a usage error reported on standard error,
/// with the group's commands listed there. Found by the `FuzzArguments` fuzzer
/// (`Fuzz/Regressions/FuzzArguments/group_without_subcommand`): it exited 2 with nothing on standard error.
@Suite("Command groups without a subcommand")
struct CommandGroupUsageTests {
  @Test(arguments: [["bench"], ["ssm"], ["monarch"], ["bench", "-", "x"], ["ssm", "--json"]])
  func groupWithoutSubcommandIsAUsageErrorOnStandardError(arguments: [String]) {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(arguments, console: console) == 2)
    #expect(console.standardError.contains("'\(arguments[0])' needs a subcommand"))
    #expect(console.standardError.contains("\(arguments[0]) "))
    #expect(console.standardOutput.isEmpty)
  }

  @Test func groupHelpStillGoesToStandardOutput() {
    let console = Console.capturing()
    #expect(StructuredMLTool.run(["bench", "--help"], console: console) == 0)
    #expect(console.standardOutput.contains("bench gemm"))
    #expect(console.standardError.isEmpty)
  }
}
