import Distributed
import Foundation

/// Where a command writes: standard output for results, standard error for messages and progress.
///
/// Commands never print directly, so tests can run them on a ``Console/capturing()`` console and read
/// what they wrote.
///
/// A console also carries the ``ProcessGroup`` the command runs in (one process unless the tool was started
/// by `mpirun`): only rank 0 writes results, messages and progress; every rank writes its own failure
/// (``printFailure(_:)``).
public final class Console: @unchecked Sendable {
  /// The ranks that run this command together.
  public let processGroup: any ProcessGroup
  private let writeOut: (String) -> Void
  private let writeError: (String) -> Void
  /// Whether standard error is a terminal (progress bars are drawn only then).
  public let errorIsTerminal: Bool
  private let captures: Bool
  private let lock = NSLock()
  private var capturedOut = ""
  private var capturedError = ""

  private init(
    errorIsTerminal: Bool, processGroup: any ProcessGroup, out: ((String) -> Void)?, error: ((String) -> Void)?
  ) {
    self.processGroup = processGroup
    self.errorIsTerminal = errorIsTerminal
    self.captures = out == nil
    self.writeOut = out ?? { _ in }
    self.writeError = error ?? { _ in }
  }

  /// The process's standard output and standard error, for a process of `processGroup`.
  public static func standard(processGroup: any ProcessGroup = SingleProcessGroup()) -> Console {
    Console(
      errorIsTerminal: isatty(2) != 0, processGroup: processGroup,
      out: { FileHandle.standardOutput.write(Data($0.utf8)) },
      error: { FileHandle.standardError.write(Data($0.utf8)) })
  }

  /// A console that keeps what is written, for tests (of one rank of `processGroup`).
  public static func capturing(processGroup: any ProcessGroup = SingleProcessGroup()) -> Console {
    Console(errorIsTerminal: false, processGroup: processGroup, out: nil, error: nil)
  }

  /// Whether this process writes results, messages and progress: rank 0 of its group.
  public var isPrinting: Bool { processGroup.rank == 0 }

  /// Writes a line to standard output (on rank 0).
  public func print(_ line: String) { if isPrinting { write(line + "\n", toError: false) } }
  /// Writes a line to standard error (on rank 0).
  public func printError(_ line: String) { if isPrinting { write(line + "\n", toError: true) } }
  /// Writes text to standard error without a line break (progress bars; on rank 0).
  public func writeErrorRaw(_ text: String) { if isPrinting { write(text, toError: true) } }
  /// Writes a line to standard error on every rank: why this process fails, prefixed by its rank when it is
  /// one of several.
  public func printFailure(_ line: String) {
    write((processGroup.size > 1 ? "rank \(processGroup.rank): " : "") + line + "\n", toError: true)
  }

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
