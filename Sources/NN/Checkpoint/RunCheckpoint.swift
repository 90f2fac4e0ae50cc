import Foundation
import TensorCore
import TensorFiles

/// The checkpoint of a run, as a folder of four files:
///
/// - `model.safetensors`: every parameter under its PyTorch name and in its PyTorch layout (a linear weight
///   `out × in`, Monarch factors `w1: (k, q, p)` and `w2: (l, s, r)` as the Monarch module stores them),
///   float32, with the step in the metadata;
/// - `optimizer.safetensors`: the moments of every parameter as `NAME.exp_avg` and `NAME.exp_avg_sq`
///   (PyTorch's AdamW state names; SGD keeps its momentum buffer in `exp_avg`), with the step;
/// - `config.json`: the ``RunConfiguration``;
/// - `state.json`: the ``TrainingState`` (step, seed, data position, schedule position, loss history).
///
/// A new checkpoint is first written whole into ``stagingFolder`` inside the run folder (`state.json` last),
/// then each file is renamed over the last checkpoint's. An interruption while staging leaves the last
/// checkpoint untouched (the incomplete staging folder is removed by the next reader); an interruption while
/// renaming is finished by the next reader, since the staged set is complete. Readers also check that the
/// tensors' steps match the state's.
public enum RunCheckpoint {
  /// The file names in a run folder.
  public static let modelFile = "model.safetensors", optimizerFile = "optimizer.safetensors"
  /// The file names in a run folder.
  public static let configurationFile = "config.json", stateFile = "state.json"
  /// The largest `config.json` or `state.json` read (16 MiB; a run's are a few kilobytes): a larger file, or
  /// one that is not a regular file, is refused before it is read.
  public static let maximumJSONBytes = 16 << 20
  /// The folder inside a run folder where a checkpoint is written before it replaces the last one.
  public static let stagingFolder = ".next-checkpoint"

  /// The files of a checkpoint in the order they are written and renamed.
  public static let files = [modelFile, optimizerFile, configurationFile, stateFile]

  /// Writes the trainer's model, moments and state and the configuration into `folder` (created if needed).
  ///
  /// - Throws: ``CheckpointError/unwritable(file:reason:)``.
  public static func write(_ trainer: Trainer, configuration: RunConfiguration, to folder: URL) throws(CheckpointError) {
    let staging = folder.appendingPathComponent(stagingFolder)
    do {
      if FileManager.default.fileExists(atPath: staging.path) { try FileManager.default.removeItem(at: staging) }
      try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
    } catch {
      throw .unwritable(file: staging.path, reason: "\(error)")
    }
    let store = trainer.model.parameters
    let metadata = ["format": "pt", "step": String(trainer.state.step)]
    try writeTensors(
      store.slots.map { ($0.name, store.values, $0) }, metadata: metadata, to: staging.appendingPathComponent(modelFile))
    try writeTensors(
      store.slots.flatMap { [("\($0.name).exp_avg", store.firstMoments, $0), ("\($0.name).exp_avg_sq", store.secondMoments, $0)] },
      metadata: metadata, to: staging.appendingPathComponent(optimizerFile))
    try writeJSON(configuration, to: staging.appendingPathComponent(configurationFile))
    try writeJSON(trainer.state, to: staging.appendingPathComponent(stateFile))
    try finishStagedWrite(in: folder)
  }

  /// Moves a completely staged checkpoint over the last one (`state.json` last), or removes a staging folder
  /// that an interruption left incomplete; does nothing without a staging folder.
  ///
  /// - Throws: ``CheckpointError/unwritable(file:reason:)`` when a file cannot be renamed or removed.
  private static func finishStagedWrite(in folder: URL) throws(CheckpointError) {
    let staging = folder.appendingPathComponent(stagingFolder)
    guard FileManager.default.fileExists(atPath: staging.path) else { return }
    if FileManager.default.fileExists(atPath: staging.appendingPathComponent(stateFile).path) {
      for file in files {
        let source = staging.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: source.path) else { continue }  // renamed before an interruption
        guard rename(source.path, folder.appendingPathComponent(file).path) == 0 else {
          throw .unwritable(file: folder.appendingPathComponent(file).path, reason: String(cString: strerror(errno)))
        }
      }
    }
    do {
      try FileManager.default.removeItem(at: staging)
    } catch {
      throw .unwritable(file: staging.path, reason: "\(error)")
    }
  }

  /// Reads a run folder's configuration (finishing or discarding a checkpoint write left interrupted first).
  ///
  /// - Throws: ``CheckpointError/unreadable(file:reason:)``, or ``CheckpointError/unwritable(file:reason:)``
  ///   when an interrupted write cannot be finished.
  public static func readConfiguration(from folder: URL) throws(CheckpointError) -> RunConfiguration {
    try finishStagedWrite(in: folder)
    return try readJSON(RunConfiguration.self, from: folder.appendingPathComponent(configurationFile))
  }

  /// Reads a run folder's state (finishing or discarding a checkpoint write left interrupted first).
  ///
  /// - Throws: ``CheckpointError/unreadable(file:reason:)``, or ``CheckpointError/unwritable(file:reason:)``
  ///   when an interrupted write cannot be finished.
  public static func readState(from folder: URL) throws(CheckpointError) -> TrainingState {
    try finishStagedWrite(in: folder)
    return try readJSON(TrainingState.self, from: folder.appendingPathComponent(stateFile))
  }

  /// Loads the parameters (and, when asked, the optimizer's moments) of a run folder into `store`.
  ///
  /// Every parameter of the store must be in the file with its shape, and every tensor of the file must be a
  /// parameter; nothing is written into the store unless all of them fit.
  ///
  /// - Parameters:
  ///   - store: The model's parameters, laid out by the run's configuration.
  ///   - folder: The run folder.
  ///   - moments: Whether to load `optimizer.safetensors` too (resuming), or only the model (evaluating).
  ///   - step: The step the files must have been written at (``TrainingState/step``), or `nil` not to check.
  /// - Throws: ``CheckpointError`` naming the file and the tensor that is missing, extra or of another shape.
  public static func load(
    into store: ParameterStore, from folder: URL, moments: Bool, step: Int?
  ) throws(CheckpointError) {
    try finishStagedWrite(in: folder)
    var plans = [(folder.appendingPathComponent(modelFile), store.slots.map { ($0.name, store.values, $0) })]
    if moments {
      plans.append((
        folder.appendingPathComponent(optimizerFile),
        store.slots.flatMap { [("\($0.name).exp_avg", store.firstMoments, $0), ("\($0.name).exp_avg_sq", store.secondMoments, $0)] }
      ))
    }
    var decoded: [(UnsafeMutablePointer<Float>, ParameterSlot, [Float])] = []
    for (url, tensors) in plans {
      let name = url.lastPathComponent
      let file: SafetensorsFile
      do { file = try SafetensorsFile(contentsOf: url) } catch { throw .unreadable(file: url.path, reason: "\(error)") }
      if let step, let written = file.metadata["step"], Int(written) != step {
        throw .inconsistentStep(file: name, step: Int(written) ?? -1, expected: step)
      }
      let expectedNames = Set(tensors.map(\.0))
      if let extra = file.tensors.map(\.name).sorted().first(where: { !expectedNames.contains($0) }) {
        throw .unexpectedTensor(file: name, tensor: extra)
      }
      for (tensorName, buffer, slot) in tensors {
        let info: TensorInfo
        do { info = try file.info(named: tensorName) } catch { throw .missingTensor(file: name, tensor: tensorName) }
        guard info.shape == slot.shape, info.dtype == .float32 else {
          throw .tensorMismatch(
            file: name, tensor: tensorName, expected: "F32 \(slot.shape)", actual: "\(info.dtype.rawValue) \(info.shape)")
        }
        do {
          decoded.append((buffer, slot, try file.tensorData(named: tensorName).tensor(as: Float.self).scalars))
        } catch {
          throw .unreadable(file: url.path, reason: "tensor '\(tensorName)': \(error)")
        }
      }
    }
    for (buffer, slot, scalars) in decoded {
      scalars.withUnsafeBufferPointer { (buffer + slot.offset).update(from: $0.baseAddress!, count: slot.count) }
    }
  }

  private static func writeTensors(
    _ tensors: [(String, UnsafeMutablePointer<Float>, ParameterSlot)], metadata: [String: String], to url: URL
  ) throws(CheckpointError) {
    do {
      let writer = try SafetensorsWriter(
        url: url, entries: tensors.map { ($0.0, .float32, $0.2.shape) }, metadata: metadata)
      do {
        for (name, buffer, slot) in tensors {
          let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer + slot.offset, count: slot.count * 4))
          try writer.append(name: name, data: try TensorData(dtype: .float32, shape: slot.shape, bytes: bytes))
        }
        try writer.finish()
      } catch {
        writer.abandon()
        throw error
      }
    } catch {
      throw .unwritable(file: url.path, reason: "\(error)")
    }
  }

  private static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws(CheckpointError) {
    do {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try AtomicFile.write(try encoder.encode(value) + Data("\n".utf8), to: url)
    } catch {
      throw .unwritable(file: url.path, reason: "\(error)")
    }
  }

  private static func readJSON<T: Decodable>(_ type: T.Type, from url: URL) throws(CheckpointError) -> T {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw .unreadable(file: url.path, reason: "no such file (not a run folder written by a training run?)")
    }
    do {
      let bytes = try ReadOnlyFile.contents(of: url, maximumBytes: maximumJSONBytes)
      return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch let error as TensorFileError {
      throw .unreadable(file: url.path, reason: error.reason)
    } catch {
      throw .unreadable(file: url.path, reason: "\(error)")
    }
  }
}
