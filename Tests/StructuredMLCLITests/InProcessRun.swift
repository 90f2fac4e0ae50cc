@testable import StructuredMLCLI

/// Runs `structml` with `arguments` in this process on a capturing console: its exit status and what it
/// printed to standard output and standard error.
func runInProcess(_ arguments: [String]) -> (status: Int32, out: String, error: String) {
  let console = Console.capturing()
  let status = StructuredMLTool.run(arguments, console: console)
  return (status, console.standardOutput, console.standardError)
}
