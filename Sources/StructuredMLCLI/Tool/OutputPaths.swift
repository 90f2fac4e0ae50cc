import Foundation
import TensorFiles

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The files a command writes, checked before it does any work, and the one way commands write them.
///
/// Options declare what they name on disk (``FileRole``); ``StructuredMLTool`` calls ``check(_:)`` after
/// parsing and before running the command, so a bad output path stops the command at once (exit 1, naming
/// the option and the path) instead of after minutes of work. Every output must
/// - lie in an existing, writable folder (a read-only file system or a missing permission is said so);
/// - name nothing yet or a regular file: a symbolic link, directory, FIFO, socket or device is never
///   replaced (and never opened, so a FIFO cannot block the command);
/// - be none of the command's inputs, compared by device and inode (``FileIdentity``), so another spelling,
///   a hard link or `FILE.safetensors:TENSOR` naming the same file counts as the input;
/// - differ from the command's other outputs.
///
/// The write itself (``write(_:of:_:)``) goes through `AtomicFile`, which checks the destination again
/// before renaming the finished file into place.
enum OutputPaths {
  /// Checks every output and output folder that `arguments` name, against each other and every input.
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the option and the path.
  static func check(_ arguments: ParsedArguments) throws {
    let inputs = inputs(of: arguments).compactMap { input in
      FileIdentity(of: input.url).map { (option: input.option, path: input.url.path, identity: $0) }
    }
    var claimed: [Destination: String] = [:]
    for spec in arguments.options {
      guard let role = spec.file else { continue }
      switch role.kind {
      case .output:
        guard let path = arguments.string(spec.name) else { continue }
        try checkFile(URL(fileURLWithPath: path), option: spec.name, inputs: inputs, claimed: &claimed)
      case .outputFolder:
        guard let folder = try checkFolder(arguments, option: spec.name), FileIdentity(of: folder) != nil else {
          continue
        }
        for file in role.files {
          try checkFile(folder.appendingPathComponent(file), option: spec.name, inputs: inputs, claimed: &claimed)
        }
      case .input, .inputFolder:
        continue
      }
    }
  }

  /// The files named by the input options that were given, without any `:TENSOR` suffix, and the files of
  /// the input folders.
  static func inputs(of arguments: ParsedArguments) -> [(option: String, url: URL)] {
    arguments.options.flatMap { spec -> [(option: String, url: URL)] in
      guard let value = arguments.string(spec.name), let role = spec.file else { return [] }
      switch role.kind {
      case .input: return [(spec.name, URL(fileURLWithPath: TensorFileSpecification.split(value).path))]
      case .inputFolder: return role.files.map { (spec.name, URL(fileURLWithPath: value).appendingPathComponent($0)) }
      case .output, .outputFolder: return []
      }
    }
  }

  /// Runs `body`, which writes (or opens a writer for) the output named by `option`; it is given the
  /// destination and the input files to protect, and its result is returned.
  ///
  /// - Throws: ``CommandError/usage(_:)`` when `option` was not given; ``CommandError/failure(_:)`` naming
  ///   the option and what went wrong, after which `AtomicFile` has left the destination as it was and
  ///   removed its temporary file.
  static func write<Result>(
    _ option: String, of arguments: ParsedArguments, _ body: (URL, [URL]) throws -> Result
  ) throws -> Result {
    let path = try arguments.requiredString(option)
    do {
      return try body(URL(fileURLWithPath: path), inputs(of: arguments).map(\.url))
    } catch let error as CommandError {
      throw error
    } catch {
      throw CommandError.failure("option '--\(option)': \(error)")
    }
  }

  /// The folder named by the output-folder option `option` (or its default), created with any missing
  /// parents.
  ///
  /// - Throws: ``CommandError/failure(_:)`` naming the option, the folder and the reason.
  static func createFolder(_ option: String, of arguments: ParsedArguments) throws -> URL {
    guard let folder = try checkFolder(arguments, option: option) else {
      throw CommandError.usage("option '--\(option)' is required")
    }
    var missing: [URL] = []
    var current = folder
    while FileIdentity(of: current) == nil, current.path != "/" {
      missing.append(current)
      current = current.deletingLastPathComponent()
    }
    for url in missing.reversed() where mkdir(url.path, 0o777) != 0 && errno != EEXIST {
      let code = errno
      throw CommandError.failure(
        "option '--\(option)': cannot create the folder \(url.path): \(TensorFileError.reason(errno: code))")
    }
    return folder
  }

  /// Where an output goes: the existing file it names, or the name it will take in its folder.
  private enum Destination: Hashable {
    case file(FileIdentity)
    case entry(folder: FileIdentity, name: String)
  }

  private static func checkFile(
    _ url: URL, option: String, inputs: [(option: String, path: String, identity: FileIdentity)],
    claimed: inout [Destination: String]
  ) throws {
    do {
      try AtomicFile.checkDestination(url)
    } catch let error as TensorFileError {
      throw CommandError.failure("option '--\(option)': \(error)")
    }
    let destination: Destination
    if let identity = FileIdentity(of: url) {
      if let input = inputs.first(where: { $0.identity == identity }) {
        throw CommandError.failure(
          "option '--\(option)': \(url.path) is the same file as --\(input.option) \(input.path); "
            + "refusing to overwrite an input")
      }
      destination = .file(identity)
    } else if let folder = FileIdentity(of: url.deletingLastPathComponent()) {
      destination = .entry(folder: folder, name: url.lastPathComponent)
    } else {
      return
    }
    if let other = claimed[destination] {
      throw CommandError.failure(
        "options '--\(other)' and '--\(option)' name the same file (\(url.path)); give each output its own path")
    }
    claimed[destination] = option
  }

  /// The folder of an output-folder option (`nil` when neither given nor defaulted); checks that it is a
  /// writable folder, or that the nearest folder above it that exists is writable, so that it can be created.
  private static func checkFolder(_ arguments: ParsedArguments, option: String) throws -> URL? {
    guard let spec = arguments.options.first(where: { $0.name == option }), let role = spec.file,
      role.kind == .outputFolder
    else {
      preconditionFailure("--\(option) is not declared as an output folder")
    }
    guard let path = arguments.string(option) ?? role.defaultPath else { return nil }
    let folder = URL(fileURLWithPath: path)
    var existing = folder
    var status = stat()
    while stat(existing.path, &status) != 0 {
      guard errno == ENOENT || errno == ENOTDIR, existing.path != "/" else {
        let code = errno
        throw CommandError.failure(
          "option '--\(option)': cannot use the folder \(existing.path): \(TensorFileError.reason(errno: code))")
      }
      var link = stat()
      if lstat(existing.path, &link) == 0 {
        throw CommandError.failure(
          "option '--\(option)': \(existing.path) is a symbolic link to nothing; refusing to create a folder through it")
      }
      existing = existing.deletingLastPathComponent()
    }
    guard status.st_mode & S_IFMT == S_IFDIR else {
      throw CommandError.failure("option '--\(option)': \(existing.path) is not a folder")
    }
    guard access(existing.path, W_OK | X_OK) == 0 else {
      let code = errno
      throw CommandError.failure(
        "option '--\(option)': cannot write in the folder \(existing.path): \(TensorFileError.reason(errno: code))")
    }
    return folder
  }
}
