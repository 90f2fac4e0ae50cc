import Foundation
import TensorCore
import TensorFiles
import TestSupport
import Testing

@testable import StructuredMLCLI

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// No command loses or damages a file: every output is checked before any work starts (its folder, its
/// kind, the inputs, the other outputs), written to a temporary file that is renamed into place, keeps the
/// permissions of the file it replaces, and leaves nothing behind after a failure or a signal.
@Suite("Output safety of every command that writes a file")
struct OutputSafetyTests {
  func run(_ arguments: [String]) -> (status: Int32, out: String, error: String) { runInProcess(arguments) }

  /// Every command line that writes a file, with `OUT` where the output goes. Inputs are named but do not
  /// exist: a command that checked its output only after reading them would report the missing input.
  static func writers(in folder: TemporaryFolder, output: String) -> [(option: String, arguments: [String])] {
    let missing = folder.file("missing.npy").path
    let missingCheckpoint = folder.file("missing.safetensors").path
    return [
      ("output", ["probmap", "--map", "softmax", "--input", missing, "--output", output]),
      ("output", ["monarch", "project", "--input", missing, "--blocks", "2", "--output", output]),
      ("output", ["monarch", "apply", "--factors", missingCheckpoint, "--input", missing, "--output", output]),
      ("output", ["monarch", "compress", "--input", missingCheckpoint, "--blocks", "2", "--output", output]),
      ("svg", ["ssm", "approximate", "--input", missing, "--svg", output]),
      ("output", ["ssm", "kernel", "--kind", "s4d", "--n", "4", "--length", "16", "--output", output]),
    ]
  }

  /// The kinds of path an output must never replace.
  enum NonRegular: String, CaseIterable, CustomTestStringConvertible {
    case symbolicLink = "symbolic link"
    case danglingSymbolicLink = "dangling symbolic link"
    case directory
    case fifo = "FIFO"
    case device = "character device"

    var testDescription: String { rawValue }
    /// The words the refusal must hold.
    var message: String { self == .danglingSymbolicLink ? "symbolic link" : rawValue }
    var fileType: mode_t {
      switch self {
      case .symbolicLink, .danglingSymbolicLink: return S_IFLNK
      case .directory: return S_IFDIR
      case .fifo: return S_IFIFO
      case .device: return S_IFCHR
      }
    }
  }

  /// Makes a path of `kind` in `folder`. A device is a null device made in the folder where the process may
  /// (as root), else `/dev/null`, which an unprivileged process could not replace anyway. A FIFO is held
  /// open for reading and writing (returned descriptor), so that a writer opening it would not block.
  static func make(_ kind: NonRegular, in folder: TemporaryFolder) throws -> (path: String, descriptor: Int32) {
    let path = folder.file("out-\(kind)").path
    switch kind {
    case .symbolicLink:
      try Data([1, 2, 3]).write(to: folder.file("target.bin"))
      try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: folder.file("target.bin").path)
    case .danglingSymbolicLink:
      try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: folder.file("nowhere").path)
    case .directory:
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    case .fifo:
      #expect(mkfifo(path, 0o644) == 0)
      #if os(Linux)
        return (path, open(path, O_RDWR | O_NONBLOCK))
      #else
        return (path, open(path, O_RDONLY | O_NONBLOCK))
      #endif
    case .device:
      #if os(Linux)
        // Major 1, minor 3 (the null device) in the old encoding, which glibc's makedev agrees with below 256.
        if geteuid() == 0, mknod(path, S_IFCHR | 0o666, 0x103) == 0 { return (path, -1) }
      #endif
      return ("/dev/null", -1)
    }
    return (path, -1)
  }

  static func fileType(_ path: String) -> mode_t? {
    var status = stat()
    return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
  }

  static func partialFiles(in folder: TemporaryFolder) throws -> [String] {
    try folder.contents().filter { $0.contains(".partial-") }
  }

  @Test(arguments: NonRegular.allCases)
  func nonRegularOutputIsRefusedBeforeAnyWorkAndLeftAlone(kind: NonRegular) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let (path, descriptor) = try Self.make(kind, in: folder)
    defer { if descriptor >= 0 { close(descriptor) } }
    for (option, arguments) in Self.writers(in: folder, output: path) {
      let result = run(arguments)
      let command = arguments.prefix(2).joined(separator: " ")
      #expect(result.status == 1, "\(command): \(result.error)")
      #expect(result.error.contains("'--\(option)'") && result.error.contains(kind.message), "\(command): \(result.error)")
      #expect(!result.error.contains("cannot read"), "\(command) read its input before checking --\(option)")
      #expect(Self.fileType(path) == kind.fileType, "\(command) replaced the \(kind)")
    }
    if kind == .symbolicLink { #expect(try Data(contentsOf: folder.file("target.bin")) == Data([1, 2, 3])) }
    #expect(try Self.partialFiles(in: folder).isEmpty)
  }

  /// Writes small valid inputs: `x.npy` (scores), `sig.npy` (a signal), `m.safetensors` (tensor `w`).
  static func writeInputs(in folder: TemporaryFolder) throws {
    var generator = SeededGenerator(seed: 81)
    try NPYFile.write(try TensorData(Tensor<Float>.normal(shape: [4, 8], using: &generator)), to: folder.file("x.npy"))
    try NPYFile.write(
      try TensorData(Tensor<Double>(shape: [64]) { sin(Double($0) / 5) }), to: folder.file("sig.npy"))
    try SafetensorsWriter.write(
      [("w", try TensorData(Tensor<Float>.normal(shape: [16, 16], using: &generator)))], to: folder.file("m.safetensors"))
  }

  @Test func outputThatIsAnInputIsRefusedWhateverItsSpelling() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Self.writeInputs(in: folder)
    try FileManager.default.createDirectory(at: folder.file("sub"), withIntermediateDirectories: false)
    for name in ["x.npy", "sig.npy", "m.safetensors"] {
      #expect(link(folder.file(name).path, folder.file("hard-\(name)").path) == 0)
    }
    let file = { (name: String) in folder.file(name).path }
    let before = try ["x.npy", "sig.npy", "m.safetensors"].map { try Data(contentsOf: folder.file($0)) }
    let cases: [(input: String, arguments: [String])] = [
      ("--input", ["ssm", "approximate", "--input", file("sig.npy"), "--svg", file("sig.npy")]),
      ("--input", ["ssm", "approximate", "--input", file("sig.npy"), "--svg", file("hard-sig.npy")]),
      ("--input", ["probmap", "--map", "softmax", "--input", file("x.npy"), "--output", file("sub/../x.npy")]),
      ("--input", ["probmap", "--map", "softmax", "--input", file("x.npy"), "--output", file("hard-x.npy")]),
      ("--input", ["monarch", "project", "--input", file("m.safetensors") + ":w", "--blocks", "4", "--output", file("m.safetensors")]),
      (
        "--input",
        ["monarch", "project", "--input", file("m.safetensors") + ":w", "--blocks", "4", "--output", file("hard-m.safetensors")]
      ),
      (
        "--factors",
        ["monarch", "apply", "--factors", file("m.safetensors") + ":layer", "--input", file("x.npy"), "--output", file("m.safetensors")]
      ),
      ("--input", ["monarch", "apply", "--factors", file("m.safetensors"), "--input", file("x.npy"), "--output", file("hard-x.npy")]),
      ("--input", ["monarch", "compress", "--input", file("m.safetensors"), "--blocks", "4", "--output", file("hard-m.safetensors")]),
    ]
    for (input, arguments) in cases {
      let result = run(arguments)
      #expect(result.status == 1, "\(arguments): \(result.error)")
      #expect(result.error.contains("same file as \(input)"), "\(arguments): \(result.error)")
    }
    #expect(try ["x.npy", "sig.npy", "m.safetensors"].map { try Data(contentsOf: folder.file($0)) } == before)
    #expect(try ["x.npy", "sig.npy", "m.safetensors"].map { try Data(contentsOf: folder.file("hard-\($0)")) } == before)
    #expect(try Self.partialFiles(in: folder).isEmpty)
  }

  @Test func twoOutputsOfOneCommandMustDiffer() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let options: [OptionSpec] = [.output("first", "A", "one output"), .output("second", "B", "another output")]
    let fresh = folder.file("new.npy").path
    let sameNewFile = try ParsedArguments(["--first", fresh, "--second", folder.file("./new.npy").path], options: options)
    #expect(throws: CommandError.failure("options '--first' and '--second' name the same file (\(folder.file("./new.npy").path)); give each output its own path")) {
      try OutputPaths.check(sameNewFile)
    }
    try Data([7]).write(to: folder.file("old.npy"))
    #expect(link(folder.file("old.npy").path, folder.file("alias.npy").path) == 0)
    let hardLinked = try ParsedArguments(
      ["--first", folder.file("old.npy").path, "--second", folder.file("alias.npy").path], options: options)
    #expect(throws: CommandError.self) { try OutputPaths.check(hardLinked) }
    let distinct = try ParsedArguments(["--first", fresh, "--second", folder.file("old.npy").path], options: options)
    try OutputPaths.check(distinct)
  }

  @Test func replacingAnOutputKeepsItsPermissionBits() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Self.writeInputs(in: folder)
    for mode: mode_t in [0o600, 0o640, 0o604] {
      for (name, arguments) in [
        ("p.npy", ["probmap", "--map", "sparsemax", "--input", folder.file("x.npy").path, "--output", folder.file("p.npy").path]),
        ("chart.svg", ["ssm", "approximate", "--input", folder.file("sig.npy").path, "--svg", folder.file("chart.svg").path]),
      ] {
        try Data("old".utf8).write(to: folder.file(name))
        #expect(chmod(folder.file(name).path, mode) == 0)
        let result = run(arguments)
        #expect(result.status == 0, "\(result.error)")
        var status = stat()
        #expect(stat(folder.file(name).path, &status) == 0)
        #expect(status.st_mode & 0o7777 == mode, "\(name): \(String(status.st_mode & 0o7777, radix: 8)), was \(String(mode, radix: 8))")
        #expect(try Data(contentsOf: folder.file(name)) != Data("old".utf8))
      }
    }
    #expect(try Self.partialFiles(in: folder).isEmpty)
  }

  @Test func aWriteThatFailsSaysWhyAndLeavesTheOldFile() throws {
    // A file-size limit of 4 × 512 bytes makes the 16 KiB output fail part-way with EFBIG, as a full disk
    // fails with ENOSPC; SIGXFSZ is ignored so that the write returns the error.
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    var generator = SeededGenerator(seed: 82)
    try NPYFile.write(try TensorData(Tensor<Float>.normal(shape: [64, 64], using: &generator)), to: folder.file("big.npy"))
    try Data("previous".utf8).write(to: folder.file("p.npy"))
    let child = try ChildProcess(
      URL(fileURLWithPath: "/bin/sh"),
      [
        "-c", "trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\"", try ChildProcess.structml().path, "probmap", "--map",
        "softmax", "--input", folder.file("big.npy").path, "--output", folder.file("p.npy").path,
      ], logsIn: folder.url)
    #expect(child.wait(seconds: 60) == .exited(1), "\(child.errorText)")
    let message = child.errorText
    #expect(message.contains("--output") && message.contains(folder.file("p.npy").path), "\(message)")
    #expect(message.contains("file-size limit"), "\(message)")
    for foundationText in ["Error Domain", "NSCocoaErrorDomain", "The operation could not be completed"] {
      #expect(!message.contains(foundationText), "\(message)")
    }
    #expect(try Data(contentsOf: folder.file("p.npy")) == Data("previous".utf8))
    #expect(try Self.partialFiles(in: folder).isEmpty)
  }

  /// Runs `script` with `sh` in a private mount namespace (`unshare -m`), so that the file systems it mounts
  /// vanish with it; `nil` when there is no `unshare` or the process is not root. The scripts print `mounted`
  /// first once their mount succeeded, so a namespace or mount that is refused here can be told apart.
  static func inPrivateMounts(_ script: String, _ arguments: [String], logsIn folder: URL) throws -> ChildProcess? {
    guard geteuid() == 0, let unshare = ChildProcess.firstExecutable(["/usr/bin/unshare", "/bin/unshare"])
    else { return nil }
    let child = try ChildProcess(URL(fileURLWithPath: unshare), ["-m", "/bin/sh", "-c", script, "sh"] + arguments, logsIn: folder)
    return child
  }

  @Test func aFullOrReadOnlyFileSystemIsSaidSoAndLosesNothing() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    var generator = SeededGenerator(seed: 84)
    try NPYFile.write(try TensorData(Tensor<Float>.normal(shape: [64, 64], using: &generator)), to: folder.file("big.npy"))
    try FileManager.default.createDirectory(at: folder.file("mount"), withIntermediateDirectories: false)
    let structml = try ChildProcess.structml().path
    // An 8 KiB tmpfs holding a previous output: the 16 KiB result fills it part-way (ENOSPC).
    let full = """
      mount -t tmpfs -o size=8k none "$1" || exit 97
      echo mounted
      printf previous > "$1/p.npy"
      "$2" probmap --map softmax --input "$3" --output "$1/p.npy"
      status=$?
      ls -A "$1"; cat "$1/p.npy"
      exit $status
      """
    guard let child = try Self.inPrivateMounts(full, [folder.file("mount").path, structml, folder.file("big.npy").path], logsIn: folder.url)
    else {
      print("OutputSafetyTests: skipping the full and read-only file system cases: they need root and unshare")
      return
    }
    let ending = child.wait(seconds: 60)
    guard child.outputText.hasPrefix("mounted\n") else {
      print("OutputSafetyTests: skipping the full and read-only file system cases: cannot mount here: \(child.errorText)")
      return
    }
    #expect(ending == .exited(1), "\(child.errorText)")
    #expect(child.errorText.contains("'--output'") && child.errorText.contains("no space left on the device"), "\(child.errorText)")
    #expect(child.outputText == "mounted\np.npy\nprevious", "the folder after the failure: \(child.outputText)")

    let readOnly = """
      mount -t tmpfs -o ro none "$1" || exit 97
      echo mounted
      "$2" demo --output-dir "$1/report"
      """
    let demo = try #require(try Self.inPrivateMounts(readOnly, [folder.file("mount").path, structml], logsIn: folder.url))
    #expect(demo.wait(seconds: 60) == .exited(1), "\(demo.errorText)")
    #expect(demo.outputText == "mounted\n", "\(demo.outputText)")
    #expect(demo.errorText.contains("'--output-dir'") && demo.errorText.contains("read-only file system"), "\(demo.errorText)")
    #expect(!demo.errorText.contains("demo: Numeric core"), "the demo ran before its folder was checked")
  }

  @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
  func aSignalDuringCompressRemovesTheTemporaryFile(signal: Int32) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    var generator = SeededGenerator(seed: 83)
    // Four 512 × 512 layers: seconds of work in a debug build, so the signal arrives mid-write.
    try SafetensorsWriter.write(
      try (0..<4).map { ("layer\($0).weight", try TensorData(Tensor<Float>.normal(shape: [512, 512], using: &generator))) },
      to: folder.file("model.safetensors"))
    let child = try ChildProcess(
      try ChildProcess.structml(),
      [
        "monarch", "compress", "--input", folder.file("model.safetensors").path, "--blocks", "4", "--output",
        folder.file("out.safetensors").path,
      ], logsIn: folder.url)
    let writing = try ChildProcess.poll(seconds: 60) { try !Self.partialFiles(in: folder).isEmpty }
    #expect(writing, "no temporary file appeared: \(child.errorText)")
    kill(child.pid, signal)
    #expect(child.wait(seconds: 60) == .exited(128 + signal), "\(child.errorText)")
    #expect(try Self.partialFiles(in: folder).isEmpty)
    #expect(!FileManager.default.fileExists(atPath: folder.file("out.safetensors").path))
  }

  @Test func demoRefusesAReportFolderItCannotWriteBeforeRunning() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data("text".utf8).write(to: folder.file("file.txt"))
    let underAFile = run(["demo", "--output-dir", folder.file("file.txt/report").path])
    #expect(underAFile.status == 1)
    #expect(underAFile.error.contains("'--output-dir'") && underAFile.error.contains("is not a folder"), "\(underAFile.error)")
    #expect(!underAFile.error.contains("demo: Numeric core"), "the demo ran before its folder was checked")
    let isAFile = run(["demo", "--output-dir", folder.file("file.txt").path])
    #expect(isAFile.status == 1 && isAFile.error.contains("is not a folder"), "\(isAFile.error)")

    try FileManager.default.createDirectory(at: folder.file("report"), withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(
      atPath: folder.file("report/README.md").path, withDestinationPath: folder.file("file.txt").path)
    let linkedReadme = run(["demo", "--output-dir", folder.file("report").path])
    #expect(linkedReadme.status == 1 && linkedReadme.error.contains("symbolic link"), "\(linkedReadme.error)")
    #expect(try String(contentsOf: folder.file("file.txt"), encoding: .utf8) == "text")

    try FileManager.default.createDirectory(at: folder.file("locked"), withIntermediateDirectories: false)
    #expect(chmod(folder.file("locked").path, 0o555) == 0)
    defer { chmod(folder.file("locked").path, 0o755) }
    for target in ["locked", "locked/new/report"] {
      let arguments = ["demo", "--output-dir", folder.file(target).path]
      let denied: (status: Int32, error: String)
      if geteuid() != 0 {
        let result = run(arguments)
        denied = (result.status, result.error)
      } else if let setpriv = ChildProcess.firstExecutable(["/usr/bin/setpriv", "/bin/setpriv"]) {
        // Root writes through permission bits: run the tool as the unprivileged user 'nobody' instead.
        let child = try ChildProcess(
          URL(fileURLWithPath: setpriv),
          ["--reuid=65534", "--regid=65534", "--clear-groups", try ChildProcess.structml().path] + arguments,
          logsIn: folder.url)
        guard case .exited(let status) = child.wait(seconds: 60) else {
          Issue.record(Comment(rawValue: "structml as 'nobody' did not exit: \(child.errorText)"))
          continue
        }
        denied = (status, child.errorText)
      } else {
        print("OutputSafetyTests: skipping the chmod 0555 report folder case: root ignores permission bits and setpriv is missing")
        return
      }
      #expect(denied.status == 1 && denied.error.contains("permission denied"), "\(denied.error)")
      #expect(denied.error.contains("'--output-dir'"), "\(denied.error)")
      #expect(!denied.error.contains("demo: Numeric core"), "the demo ran before its folder was checked")
    }
  }

  @Test func everyPathOptionDeclaresWhetherItIsReadOrWritten() {
    var outputs: [String] = []
    for command in CommandRegistry.all {
      for option in command.options {
        let placeholder = option.valueName ?? ""
        let namesAPath = [".npy", ".safetensors", ".svg", ".json"].contains { placeholder.contains($0) } || ["DIR", "FILE"].contains(placeholder)
        #expect(!namesAPath || option.file != nil, "\(command.path) --\(option.name) names a path but no file role")
        switch option.file?.kind {
        case .output, .outputFolder: outputs.append("\(command.path.joined(separator: " ")) --\(option.name)")
        case .input, .inputFolder, nil: break
        }
      }
    }
    #expect(
      outputs.sorted() == [
        "demo --output-dir", "embed --output", "eval --dump-logits", "lora experiment --chart", "lora finetune --output", "lora merge --output", "monarch apply --output", "monarch compress --output", "monarch project --output",
        "probmap --output", "ssm approximate --svg", "ssm kernel --output", "train --output",
      ])
  }
}
