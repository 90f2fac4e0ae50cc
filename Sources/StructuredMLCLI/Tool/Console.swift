import Foundation

/// Where a command writes: standard output for results, standard error for messages and progress.
///
/// Commands never print directly, so tests can run them on a ``Console/capturing()`` console and read
/// what they wrote.
public final class Console: @unchecked Sendable {
  private let writeOut: (String) -> Void
  private let writeError: (String) -> Void
  /// Whether standard error is a terminal (progress bars are drawn only then).
  public let errorIsTerminal: Bool
  private let captures: Bool
  private let lock = NSLock()
  private var capturedOut = ""
  private var capturedError = ""

  private init(errorIsTerminal: Bool, out: ((String) -> Void)?, error: ((String) -> Void)?) {
    self.errorIsTerminal = errorIsTerminal
    self.captures = out == nil
    self.writeOut = out ?? { _ in }
    self.writeError = error ?? { _ in }
  }

  /// The process's standard output and standard error.
  public static func standard() -> Console {
    Console(
      errorIsTerminal: isatty(2) != 0,
      out: { FileHandle.standardOutput.write(Data($0.utf8)) },
      error: { FileHandle.standardError.write(Data($0.utf8)) })
  }

  /// A console that keeps what is written, for tests.
  public static func capturing() -> Console {
    Console(errorIsTerminal: false, out: nil, error: nil)
  }

  /// Writes a line to standard output.
  public func print(_ line: String) { write(line + "\n", toError: false) }
  /// Writes a line to standard error.
  public func printError(_ line: String) { write(line + "\n", toError: true) }
  /// Writes text to standard error without a line break (progress bars).
  public func writeErrorRaw(_ text: String) { write(text, toError: true) }

  /// Everything written to standard output so far (capturing consoles only).
  public var standardOutput: String { lock.withLock { capturedOut } }
  /// Everything written to standard error so far (capturing consoles only).
  public var standardError: String { lock.withLock { capturedError } }

  private func write(_ text: String, toError: Bool) {
    if captures {
      lock.withLock {
        if toError { capturedError += text } else { capturedOut += text }
      }
      return
    }
    if toError { writeError(text) } else { writeOut(text) }
  }
}
