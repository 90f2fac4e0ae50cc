import Foundation

/// A progress bar on standard error, drawn only when standard error is a terminal.
public final class ProgressBar {
  private let console: Console
  private let total: Int
  private let label: String
  private var lastDrawn = -1

  /// Creates a bar for `total` steps of work described by `label`.
  public init(console: Console, total: Int, label: String) {
    self.console = console
    self.total = max(1, total)
    self.label = label
  }

  /// Moves the bar to `completed` steps and names the current item (escaped: items are often names from files).
  public func update(_ completed: Int, item: String = "") {
    guard console.errorIsTerminal else { return }
    let percent = min(100, completed * 100 / total)
    if percent == lastDrawn && item.isEmpty { return }
    lastDrawn = percent
    let width = 30
    let filled = percent * width / 100
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
    console.writeErrorRaw("\r\(label) [\(bar)] \(percent)% \(TerminalText.escaped(String(item.prefix(40))))\u{1B}[K")
  }

  /// Clears the bar's line.
  public func finish() {
    guard console.errorIsTerminal else { return }
    console.writeErrorRaw("\r\u{1B}[K")
  }
}
