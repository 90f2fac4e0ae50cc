import Foundation
import TestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A program started with `posix_spawn`, every signal at its default action (so a test that sends SIGINT
/// does not depend on how the test runner was started), its output going to files.
struct ChildProcess {
  /// How a child ended.
  enum Ending: Equatable {
    case exited(Int32)
    case signaled(Int32)
    case stillRunning
  }

  let pid: pid_t
  let standardOutput: URL
  let standardError: URL

  /// The built `structml` executable: beside the test executable, or in the package's `.build/debug`.
  static func structml() throws -> URL { try builtExecutable("structml") }

  /// The first of `paths` that names an executable file, or `nil`.
  static func firstExecutable(_ paths: [String]) -> String? {
    paths.first { path in access(path, X_OK) == 0 }
  }

  struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  /// Starts `executable` with `arguments`, its standard output and error going to files in `folder`.
  init(_ executable: URL, _ arguments: [String], logsIn folder: URL) throws {
    standardOutput = folder.appendingPathComponent("child-stdout.txt")
    standardError = folder.appendingPathComponent("child-stderr.txt")
    #if canImport(Glibc)
      var actions = posix_spawn_file_actions_t()
      var attributes = posix_spawnattr_t()
    #else
      var actions: posix_spawn_file_actions_t?
      var attributes: posix_spawnattr_t?
    #endif
    posix_spawn_file_actions_init(&actions)
    posix_spawnattr_init(&attributes)
    defer {
      posix_spawn_file_actions_destroy(&actions)
      posix_spawnattr_destroy(&attributes)
    }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, standardOutput.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, standardError.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    var everySignal = sigset_t()
    sigfillset(&everySignal)
    sigdelset(&everySignal, SIGKILL)
    sigdelset(&everySignal, SIGSTOP)
    posix_spawnattr_setsigdefault(&attributes, &everySignal)
    var noSignal = sigset_t()
    sigemptyset(&noSignal)
    posix_spawnattr_setsigmask(&attributes, &noSignal)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    let command = [executable.path] + arguments
    var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let code = posix_spawn(&pid, executable.path, &actions, &attributes, &argv, environ)
    guard code == 0 else { throw Failure("cannot start \(executable.path): \(String(cString: strerror(code)))") }
    self.pid = pid
  }

  /// Waits up to `seconds` for the child to end; a child still running then is killed.
  func wait(seconds: Double) -> Ending {
    let deadline = Date().addingTimeInterval(seconds)
    var status: Int32 = 0
    while Date() < deadline {
      let result = waitpid(pid, &status, WNOHANG)
      if result == pid {
        // The wait-status encoding shared by Linux and Darwin: low 7 bits the signal, next byte the exit code.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
      }
      usleep(10_000)
    }
    kill(pid, SIGKILL)
    _ = waitpid(pid, &status, 0)
    return .stillRunning
  }

  /// Waits up to `seconds` for `condition` to hold, checking every 5 ms; returns whether it did.
  static func poll(seconds: Double, until condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try condition() { return true }
      usleep(5_000)
    }
    return try condition()
  }

  /// What the child wrote to standard output.
  var outputText: String { (try? String(contentsOf: standardOutput, encoding: .utf8)) ?? "" }

  /// What the child wrote to standard error.
  var errorText: String { (try? String(contentsOf: standardError, encoding: .utf8)) ?? "" }
}
