import Foundation
import TensorCore

/// The memory bound every command checks before it allocates for sizes a user or a file chose: the machine's
/// physical memory.
enum MemoryBudget {
  /// The physical memory of this machine in bytes, or `nil` when the system does not say.
  static var physicalBytes: Int? { PhysicalMemory.bytes }

  /// `factors` multiplied, or `nil` when the product overflows `Int`.
  static func product(_ factors: [Int]) -> Int? {
    var result = 1
    for factor in factors {
      let (next, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow { return nil }
      result = next
    }
    return result
  }

  /// A byte count for messages in binary and decimal units: `12.3 GiB (13.2 GB)`, `900 B`.
  static func describe(_ bytes: Int) -> String {
    describe(Double(bytes))
  }

  private static func describe(_ bytes: Double) -> String {
    func scaled(_ base: Double, _ units: [String]) -> String {
      var (value, unit) = (bytes, 0)
      while value >= base, unit < units.count - 1 {
        value /= base
        unit += 1
      }
      return "\(formatted(value)) \(units[unit])"
    }
    guard bytes >= 1024 else { return "\(Int(bytes)) B" }
    return scaled(1024, ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]) + " ("
      + scaled(1000, ["B", "KB", "MB", "GB", "TB", "PB", "EB"]) + ")"
  }

  /// Checks that `bytes` (`nil`: more than `Int` holds) fit in physical memory.
  ///
  /// - Parameters:
  ///   - bytes: What the work would allocate at its peak.
  ///   - what: The work, for the message (for example `"--rows 1000000 --n 1000000"`).
  ///   - error: Builds the error from the message (usage for sizes given as options, failure for inputs).
  /// - Throws: `error(message)` naming the memory needed and the memory available.
  static func require(_ bytes: Int?, for what: String, error: (String) -> CommandError) throws {
    try require(bytes.map(Double.init), for: what, error: error)
  }

  /// Checks that an estimate in `Double` (so that no product of sizes overflows; `nil` or at least `2^63`: more
  /// than `Int` holds) fits in physical memory.
  ///
  /// - Throws: `error(message)` naming the memory needed and the memory available.
  static func require(_ bytes: Double?, for what: String, error: (String) -> CommandError) throws {
    guard let available = physicalBytes else { return }
    guard let bytes, bytes < 0x1p63 else {
      throw error("\(what) needs more memory than a 64-bit size can count (physical memory \(describe(available)))")
    }
    guard bytes <= Double(available) else {
      throw error("\(what) needs about \(describe(bytes)) of memory, more than the \(describe(available)) this machine has")
    }
  }
}
