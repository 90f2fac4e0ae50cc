import StructuredMLCLI

/// Stops the fuzzer with a message when a property of the code under test does not hold.
///
/// A trap is what libFuzzer records as a crash, so a broken property leaves a reproducer like any crash.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fatalError("fuzz property failed: \(message())") }
}

/// Runs `structml` with `arguments` on a capturing console and checks the documented exit statuses:
/// 0 on success, 1 on a failure, 2 on a usage error, each failure with a message on standard error.
///
/// - Returns: The exit status and the console, for further checks.
@discardableResult
public func runTool(_ arguments: [String]) -> (status: Int32, console: Console) {
  let console = Console.capturing()
  let status = StructuredMLTool.run(arguments, console: console)
  require([0, 1, 2].contains(status), "structml \(arguments) exited with \(status)")
  require(
    status == 0 || !console.standardError.isEmpty, "structml \(arguments) exited with \(status) and no message")
  return (status, console)
}
