#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The machine's physical memory: the bound that sizes chosen by a user or a file are checked against before
/// anything is allocated for them.
///
/// Allocating more than this cannot succeed usefully: on Linux the allocation itself often succeeds
/// (overcommit) and the process is killed when the pages are touched, so callers compare first.
public enum PhysicalMemory {
  /// The physical memory of this machine in bytes (`sysconf`), or `nil` when the system does not say.
  public static var bytes: Int? {
    let (pages, pageSize) = (sysconf(Int32(_SC_PHYS_PAGES)), sysconf(Int32(_SC_PAGESIZE)))
    guard pages > 0, pageSize > 0 else { return nil }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
    return overflow ? Int.max : bytes
  }

  /// Whether `bytes` fit in physical memory (`true` when the system does not say how much there is).
  public static func holds(_ bytes: Int) -> Bool {
    guard let available = self.bytes else { return true }
    return bytes <= available
  }
}
