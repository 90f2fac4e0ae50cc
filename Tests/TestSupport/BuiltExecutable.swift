import Foundation

/// A program of this package built by `swift build`: beside the test executable, or in the package's
/// `.build/debug`.
public func builtExecutable(_ name: String) throws -> URL {
  let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let candidates = [
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
    Bundle.main.bundleURL.deletingLastPathComponent(),
    packageRoot.appendingPathComponent(".build/debug"),
  ].map { $0.appendingPathComponent(name) }
  guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
    throw MissingExecutable(description: "no built \(name) in \(candidates.map(\.path)); run 'swift build' first")
  }
  return found
}

/// The error of ``builtExecutable(_:)``: the program has not been built.
public struct MissingExecutable: Error, CustomStringConvertible {
  public let description: String
}
