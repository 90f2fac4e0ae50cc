import Foundation

/// A fresh folder under the system's temporary directory for one test; remove it with ``cleanUp()``.
public struct TemporaryFolder {
  /// The folder.
  public let url = FileManager.default.temporaryDirectory.appendingPathComponent("structml-test-\(UUID().uuidString)")

  /// Creates the folder.
  public init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

  /// The URL of `name` inside the folder.
  public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

  /// The names in the folder, hidden temporary files included, sorted.
  public func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

  /// Removes the folder and everything in it.
  public func cleanUp() { try? FileManager.default.removeItem(at: url) }
}
