import Foundation
import TensorCore
import TestSupport
import Testing

@testable import StructuredMLCLI

/// Configurations come from flags, `--config` files and run folders downloaded from anywhere: a model larger
/// than the machine's memory is refused before anything is allocated (it used to be killed by the system),
/// and a configuration that is a FIFO, a device or huge is refused without blocking or reading it.
@Suite("structml train and eval: hostile configurations", .serialized)
struct TrainingHostileInputTests {
  func run(_ arguments: [String]) -> (status: Int32, error: String) {
    let result = runInProcess(arguments)
    return (result.status, result.error)
  }

  /// Hidden layers of 46,000 × 46,000 weights, enough of them to need more than physical memory.
  func hugeHiddenFeatures() throws -> String {
    let available = try #require(PhysicalMemory.bytes)
    let layers = available / 16 / (46_000 * 46_000) + 2
    return Array(repeating: "46000", count: layers).joined(separator: ", ")
  }

  @Test func aConfigurationLargerThanMemoryIsAUsageErrorAndARunFolderOneAFailure() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let small = """
      {"model": {"type": "mlp", "input_features": 8, "hidden_features": [16], "classes": 4},
       "data": {"type": "teacher", "examples": 200, "features": 8, "classes": 4, "teacher_hidden": 8, "seed": 1},
       "training": {"batch_size": 16, "warmup_steps": 1}}
      """
    let huge = small.replacingOccurrences(of: "[16]", with: "[\(try hugeHiddenFeatures())]")
    try Data(huge.utf8).write(to: folder.file("huge.json"))
    let fromFlags = run(["train", "--config", folder.file("huge.json").path, "--output", folder.file("big").path])
    #expect(fromFlags.status == 2 && fromFlags.error.contains("more than the"), "\(fromFlags.error)")
    #expect(!FileManager.default.fileExists(atPath: folder.file("big").path))

    try Data(small.utf8).write(to: folder.file("small.json"))
    let trained = run(["train", "--config", folder.file("small.json").path, "--output", folder.file("run").path, "--steps", "1"])
    #expect(trained.status == 0, "\(trained.error)")
    let config = folder.file("run/config.json")
    let text = try String(contentsOf: config, encoding: .utf8)
    let edited = text.replacingOccurrences(
      of: #""hidden_features" : \[\s*16\s*\]"#, with: "\"hidden_features\" : [\(try hugeHiddenFeatures())]",
      options: .regularExpression)
    #expect(edited != text)
    try Data(edited.utf8).write(to: config)
    let evaluated = run(["eval", "--checkpoint", folder.file("run").path])
    #expect(evaluated.status == 1 && evaluated.error.contains("parameters need"), "\(evaluated.error)")
  }

  @Test func configurationsThatAreNotSmallRegularFilesAreRefusedWithoutBlocking() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let fifo = folder.file("config.fifo").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let huge = folder.file("huge.json")
    #expect(FileManager.default.createFile(atPath: huge.path, contents: nil))
    #expect(truncate(huge.path, off_t(17 << 20)) == 0)  // sparse: 17 MiB of zeros
    for (path, named) in [(fifo, "FIFO"), ("/dev/zero", "character device"), (huge.path, "more than the")] {
      let result = run(["train", "--config", path, "--output", folder.file("out").path])
      #expect(result.status == 1 && result.error.contains(path) && result.error.contains(named), "\(result.error)")
    }
    // The same for a run folder's own config.json.
    let trained = run(["train", "--model", "mlp", "--steps", "1", "--output", folder.file("run").path])
    #expect(trained.status == 0, "\(trained.error)")
    let config = folder.file("run/config.json").path
    #expect(unlink(config) == 0 && mkfifo(config, 0o600) == 0)
    let evaluated = run(["eval", "--checkpoint", folder.file("run").path])
    #expect(evaluated.status == 1 && evaluated.error.contains("FIFO"), "\(evaluated.error)")
  }

  /// Activations scale with batch × context × width: a step that cannot fit is refused before any data is made
  /// or parameter allocated, naming the flag's value.
  @Test func aStepWhoseActivationsExceedMemoryIsRefusedFirst() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let result = run([
      "train", "--model", "transformer", "--batch", "1000000", "--context", "4096", "--width", "1024",
      "--output", folder.file("lm").path,
    ])
    #expect(result.status == 2 && result.error.contains("batch size 1000000") && result.error.contains("activations"), "\(result.error)")
    #expect(!FileManager.default.fileExists(atPath: folder.file("lm").path))
  }

  /// `eval --dump-logits` is an output like any other: checked before the evaluation, never written over the
  /// run's own files, a symbolic link or a directory.
  @Test func dumpedLogitsNeverReplaceTheRunOrANonRegularFile() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    let run = folder.file("run").path
    #expect(self.run(["train", "--model", "mlp", "--steps", "1", "--output", run]).status == 0)
    let model = folder.file("run/model.safetensors")
    let before = try Data(contentsOf: model)
    try FileManager.default.createSymbolicLink(atPath: folder.file("link").path, withDestinationPath: folder.file("elsewhere").path)
    for target in [model.path, folder.file("link").path, run] {
      let result = self.run(["eval", "--checkpoint", run, "--dump-logits", target])
      #expect(result.status == 1 && result.error.contains("--dump-logits"), "\(target): \(result.error)")
    }
    #expect(try Data(contentsOf: model) == before)
    #expect(!FileManager.default.fileExists(atPath: folder.file("elsewhere").path))
    let written = self.run(["eval", "--checkpoint", run, "--dump-logits", folder.file("logits.safetensors").path])
    #expect(written.status == 0, "\(written.error)")
    let sameFile = self.run(["eval", "--checkpoint", run, "--dump-logits", folder.file("run/../run/state.json").path])
    #expect(sameFile.status == 1 && sameFile.error.contains("same file as --checkpoint"), "\(sameFile.error)")
  }

  /// `--output` must be a folder that is, or can be, created, and none of the run's files in it may be a link
  /// or a folder; each case stops before the first step with the option named.
  @Test func anUnusableRunFolderStopsTrainingBeforeTheFirstStep() throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data("text".utf8).write(to: folder.file("file.txt"))
    try FileManager.default.createDirectory(at: folder.file("linked"), withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(
      atPath: folder.file("linked/model.safetensors").path, withDestinationPath: folder.file("file.txt").path)
    try FileManager.default.createDirectory(at: folder.file("nested/loss.svg"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: folder.file("dangling").path, withDestinationPath: folder.file("nowhere").path)
    for (output, reason) in [
      ("file.txt", "is not a folder"), ("file.txt/run", "is not a folder"), ("linked", "symbolic link"),
      ("nested", "loss.svg"), ("dangling", "symbolic link to nothing"), ("dangling/run", "symbolic link to nothing"),
    ] {
      let result = run(["train", "--model", "mlp", "--steps", "1", "--output", folder.file(output).path])
      #expect(result.status == 1, "\(output): \(result.error)")
      #expect(result.error.contains("'--output'") && result.error.contains(reason), "\(output): \(result.error)")
      #expect(!result.error.contains("NSCocoaErrorDomain"), "\(result.error)")
    }
    #expect(try String(contentsOf: folder.file("file.txt"), encoding: .utf8) == "text")
    #expect(!FileManager.default.fileExists(atPath: folder.file("nowhere").path))
    let created = run(["train", "--model", "mlp", "--steps", "1", "--output", folder.file("new/deeper/run").path])
    #expect(created.status == 0, "\(created.error)")
    #expect(FileManager.default.fileExists(atPath: folder.file("new/deeper/run/state.json").path))
  }
}
