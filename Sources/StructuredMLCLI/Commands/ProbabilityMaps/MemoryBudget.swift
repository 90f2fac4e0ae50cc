import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The memory bound the probability-map commands check before they allocate: the machine's physical memory.
enum MemoryBudget {
  /// The physical memory of this machine in bytes (`sysconf`), or `nil` when the system does not say.
  static var physicalBytes: Int? {
    let (pages, pageSize) = (sysconf(Int32(_SC_PHYS_PAGES)), sysconf(Int32(_SC_PAGESIZE)))
    guard pages > 0, pageSize > 0 else { return nil }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
    return overflow ? Int.max : bytes
  }

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

  /// A byte count for messages: `12.3 GiB`, `512 MiB`, `900 B`.
  static func describe(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var (value, unit) = (Double(bytes), 0)
    while value >= 1024, unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(bytes) B" : "\(formatted(value)) \(units[unit])"
  }

  /// Checks that `bytes` (`nil`: more than `Int` holds) fit in physical memory.
  ///
  /// - Parameters:
  ///   - bytes: What the work would allocate at its peak.
  ///   - what: The work, for the message (for example `"--rows 1000000 --n 1000000"`).
  ///   - error: Builds the error from the message (usage for sizes given as options, failure for inputs).
  /// - Throws: `error(message)` naming the memory needed and the memory available.
  static func require(_ bytes: Int?, for what: String, error: (String) -> CommandError) throws {
    guard let available = physicalBytes else { return }
    guard let bytes else {
      throw error("\(what) needs more memory than a 64-bit size can count (physical memory \(describe(available)))")
    }
    guard bytes <= available else {
      throw error("\(what) needs about \(describe(bytes)) of memory, more than the \(describe(available)) this machine has")
    }
  }
}
