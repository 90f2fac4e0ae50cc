import Foundation
import NN
import TensorFiles
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Ctrl-C (or SIGTERM) during `structml train` leaves the last complete checkpoint: whenever the signal
/// arrives (during a step or while a checkpoint is being written), the run folder reads back, evaluates, and
/// resumes.
@Suite("structml train interrupted by a signal", .serialized)
struct TrainingInterruptionTests {
  /// A checkpoint after every step, so that signals land in checkpoint writes as often as in steps.
  static let configuration = """
    {"data": {"type": "markov_chain", "symbols": 8, "order": 1, "training_tokens": 4096, "held_out_tokens": 512},
     "training": {"checkpoint_interval": 1, "evaluation_interval": 0}}
    """

  static func checkpointStep(_ run: URL) -> Int? {
    guard let data = FileManager.default.contents(atPath: run.appendingPathComponent(RunCheckpoint.stateFile).path),
      let state = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return state["step"] as? Int
  }

  @Test(arguments: [(SIGINT, 0), (SIGINT, 7_000), (SIGTERM, 23_000), (SIGINT, 61_000)] as [(Int32, UInt32)])
  func aSignalLeavesTheLastCompleteCheckpoint(signal: Int32, delayMicroseconds: UInt32) throws {
    let folder = try TemporaryFolder()
    defer { folder.cleanUp() }
    try Data(Self.configuration.utf8).write(to: folder.file("config.json"))
    let run = folder.file("run")
    let child = try ChildProcess(
      try ChildProcess.structml(),
      [
        "train", "--model", "transformer", "--config", folder.file("config.json").path, "--output", run.path,
        "--steps", "100000", "--width", "32", "--layers", "1", "--heads", "2", "--context", "16", "--batch", "8",
        "--threads", "1",
      ], logsIn: folder.url)
    let checkpointed = ChildProcess.poll(seconds: 120) { (Self.checkpointStep(run) ?? 0) >= 2 }
    #expect(checkpointed, "no checkpoint appeared: \(child.errorText)")
    usleep(delayMicroseconds)
    kill(child.pid, signal)
    #expect(child.wait(seconds: 60) == .exited(128 + signal), "\(child.errorText)")

    let evaluated = runInProcess(["eval", "--checkpoint", run.path, "--json"])
    #expect(evaluated.status == 0, "the interrupted run does not evaluate: \(evaluated.error)")
    let step = try #require(Self.checkpointStep(run))
    let model = try SafetensorsFile(contentsOf: run.appendingPathComponent(RunCheckpoint.modelFile))
    #expect(model.metadata["step"] == String(step), "model.safetensors is not the checkpoint of state.json's step")
    #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent(RunCheckpoint.stagingFolder).path))
    #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).allSatisfy { !$0.contains(".partial-") })

    let resumed = runInProcess(["train", "--output", run.path, "--resume", "--until", String(step + 1)])
    #expect(resumed.status == 0, "the interrupted run does not resume: \(resumed.error)")
    #expect(Self.checkpointStep(run) == step + 1)
  }
}
