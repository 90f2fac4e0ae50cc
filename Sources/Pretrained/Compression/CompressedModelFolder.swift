import Foundation
import Monarch
import TensorCore
import TensorFiles

/// A Hugging Face model folder whose linear layers are stored as Monarch factors, and how one is written from
/// a dense folder.
///
/// The output is the input folder with two files changed:
/// - `model.safetensors`: each compressed `P.weight` is replaced by `P.w1` `(k, q, p)` and `P.w2` `(l, s, r)`
///   with the metadata `P.in_features`, `P.out_features`, `P.in_blocks`, `P.out_blocks`, `P.rank` of
///   `MonarchCheckpoint`; biases and every other tensor are unchanged.
/// - `config.json`: the input's, plus a `structml_monarch` section (``sectionKey``) that lists every
///   compressed layer with its layout, stored orientation and projection error, and the tensors left alone.
///
/// The factors always represent the `out × in` map `y = x Mᵀ` of `nn.Linear`. GPT-2's `Conv1D` weights are
/// stored `in × out`; they are transposed before projection, so their factors represent the same `out × in`
/// map (`"stored_input_major": true` in the section), and a loader multiplies `x` by the Monarch matrix
/// rather than by its transpose. Every other file (tokenizer files, `modules.json`, `1_Pooling/`, ...) is
/// copied; dense weight files in other formats (`*.bin`, `*.h5`, `*.msgpack`, `*.ot`, `*.onnx`) are left out,
/// since they would contradict the factors.
///
/// The folder is written under a hidden temporary name next to the destination and renamed into place when
/// complete; a failure removes it, and the destination must not exist yet.
public struct CompressedModelFolder {
  /// The weights file of a model folder.
  public static let weightsFileName = "model.safetensors"
  /// The configuration file of a model folder.
  public static let configurationFileName = "config.json"
  /// The key of the section that `config.json` gains.
  public static let sectionKey = "structml_monarch"
  /// The version of the section's format.
  public static let formatVersion = 1
  /// File name endings of dense weight files that are not copied.
  public static let denseWeightSuffixes = [".bin", ".h5", ".msgpack", ".ot", ".onnx", ".pt", ".pth", ".ckpt"]

  /// The input folder.
  public let folder: URL
  /// Its parsed `config.json`.
  public let configuration: [String: Any]
  /// Its weights, memory-mapped.
  public let weights: SafetensorsFile
  /// Which of its tensors are linear maps.
  public let catalog: LinearMapCatalog

  /// Opens a dense model folder.
  ///
  /// - Throws: ``PretrainedModelError/unreadableFile(file:reason:)`` naming `config.json` or
  ///   `model.safetensors` when missing or unreadable,
  ///   ``PretrainedModelError/invalidConfiguration(file:field:reason:)`` when `config.json` is not an object
  ///   with a string `model_type` or is already compressed,
  ///   ``PretrainedModelError/unsupportedArchitecture(file:architecture:supported:)``.
  public init(contentsOf folder: URL) throws {
    self.folder = folder
    let configurationURL = folder.appendingPathComponent(Self.configurationFileName)
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: try Data(contentsOf: configurationURL))
    } catch {
      throw PretrainedModelError.unreadableFile(file: configurationURL.path, reason: "\(error.localizedDescription)")
    }
    guard let configuration = object as? [String: Any] else {
      throw PretrainedModelError.invalidConfiguration(
        file: configurationURL.path, field: "(top level)", reason: "is not a JSON object")
    }
    guard let modelType = configuration["model_type"] as? String else {
      throw PretrainedModelError.invalidConfiguration(
        file: configurationURL.path, field: "model_type", reason: "is missing or not a string")
    }
    guard configuration[Self.sectionKey] == nil else {
      throw PretrainedModelError.invalidConfiguration(
        file: configurationURL.path, field: Self.sectionKey,
        reason: "the folder is already Monarch-compressed; compress the dense folder instead")
    }
    self.configuration = configuration
    catalog = try LinearMapCatalog(modelType: modelType, file: configurationURL.path)
    let weightsURL = folder.appendingPathComponent(Self.weightsFileName)
    do {
      weights = try SafetensorsFile(contentsOf: weightsURL)
    } catch {
      throw PretrainedModelError.unreadableFile(file: weightsURL.path, reason: "\(error)")
    }
  }

  /// Writes the compressed folder `output`.
  ///
  /// - Parameters:
  ///   - plan: A plan made from ``weights`` with the ``MonarchCompressionPlan/FactorPrefix/module`` prefix.
  ///   - output: The destination folder; it must not exist, and its parent must.
  ///   - settings: What the section records under `"settings"` (the command's options).
  ///   - compareLowRank: Whether each layer's report carries the low-rank baseline.
  ///   - precomputed: Layers compressed elsewhere (by other processes of a job), by tensor name.
  ///   - progress: Called before each tensor, as
  ///     ``MonarchCompressionPlan/write(from:to:compareLowRank:precomputed:progress:)``.
  /// - Returns: One report per compressed layer.
  /// - Throws: ``ModelCompressionError`` for an output that exists or a file that cannot be copied, written or
  ///   renamed, and the projection's errors; nothing is left behind.
  public func write(
    _ plan: MonarchCompressionPlan, to output: URL, settings: [String: Any] = [:], compareLowRank: Bool = false,
    precomputed: [String: CompressedLayer] = [:], progress: (Int, String) -> Void = { _, _ in }
  ) throws -> [CompressedLayerReport] {
    let manager = FileManager.default
    let output = output.standardizedFileURL
    var isFolder: ObjCBool = false
    if manager.fileExists(atPath: output.path, isDirectory: &isFolder)
      || (try? manager.destinationOfSymbolicLink(atPath: output.path)) != nil
    {
      if output.resolvingSymlinksInPath().path == folder.standardizedFileURL.resolvingSymlinksInPath().path {
        throw ModelCompressionError.outputIsInput(path: output.path, input: folder.path)
      }
      throw ModelCompressionError.outputFolderInUse(
        path: output.path, reason: isFolder.boolValue ? "the folder exists" : "a file of that name exists")
    }
    let parent = output.deletingLastPathComponent()
    let temporary = parent.appendingPathComponent(
      ".\(output.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
    do {
      try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
    } catch {
      throw ModelCompressionError.fileSystem(path: temporary.path, reason: error.localizedDescription)
    }
    do {
      try copyOtherFiles(into: temporary)
      let writer = try SafetensorsWriter(
        url: temporary.appendingPathComponent(Self.weightsFileName), entries: plan.entries,
        metadata: weights.metadata.merging(plan.metadata) { _, new in new })
      let reports: [CompressedLayerReport]
      do {
        reports = try plan.write(
          from: weights, to: writer, compareLowRank: compareLowRank, precomputed: precomputed, progress: progress)
        try writer.finish()
      } catch {
        writer.abandon()
        throw error
      }
      var configuration = self.configuration
      configuration[Self.sectionKey] = section(plan, reports: reports, settings: settings)
      let json = try JSONSerialization.data(withJSONObject: configuration, options: [.prettyPrinted, .sortedKeys])
      try AtomicFile.write(json + Data("\n".utf8), to: temporary.appendingPathComponent(Self.configurationFileName))
      guard rename(temporary.path, output.path) == 0 else {
        let code = errno
        throw ModelCompressionError.fileSystem(
          path: output.path, reason: "cannot rename the finished folder into place: \(TensorFileError.reason(errno: code))")
      }
      return reports
    } catch {
      try? manager.removeItem(at: temporary)
      throw error
    }
  }

  /// Copies every file but the weights and the configuration, following symbolic links (a Hugging Face cache
  /// snapshot links to its blobs), and leaves out dense weight files of other formats.
  private func copyOtherFiles(into destination: URL) throws {
    let manager = FileManager.default
    let root = folder.resolvingSymlinksInPath()
    guard let enumerator = manager.enumerator(atPath: root.path) else {
      throw ModelCompressionError.fileSystem(path: folder.path, reason: "cannot list the folder")
    }
    while let relative = enumerator.nextObject() as? String {
      let name = (relative as NSString).lastPathComponent
      if relative == Self.weightsFileName || relative == Self.configurationFileName || name.hasPrefix(".")
        || Self.denseWeightSuffixes.contains(where: { name.hasSuffix($0) })
      {
        if name.hasPrefix("."), enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory {
          enumerator.skipDescendants()
        }
        continue
      }
      let source = root.appendingPathComponent(relative).resolvingSymlinksInPath()
      let target = destination.appendingPathComponent(relative)
      var isFolder: ObjCBool = false
      guard manager.fileExists(atPath: source.path, isDirectory: &isFolder) else { continue }
      do {
        if isFolder.boolValue {
          try manager.createDirectory(at: target, withIntermediateDirectories: true)
        } else {
          try manager.copyItem(at: source, to: target)
        }
      } catch {
        throw ModelCompressionError.fileSystem(path: source.path, reason: "cannot copy: \(error.localizedDescription)")
      }
    }
  }

  /// The `structml_monarch` section.
  private func section(
    _ plan: MonarchCompressionPlan, reports: [CompressedLayerReport], settings: [String: Any]
  ) -> [String: Any] {
    var layers: [String: Any] = [:]
    for report in reports {
      let layout = report.layer.layout
      var entry: [String: Any] = [
        "tensor": report.layer.tensor,
        "in_features": layout.inFeatures, "out_features": layout.outFeatures,
        "in_blocks": layout.inBlocks, "out_blocks": layout.outBlocks,
        "rank": layout.sliceRank.map { $0 as Any } ?? "mixed",
        "stored_input_major": report.layer.inputMajor,
        "parameters": layout.parameterCount, "dense_parameters": layout.inFeatures * layout.outFeatures,
        "relative_error": report.relativeError,
      ]
      if let lowRank = report.lowRank {
        entry["lowrank_rank"] = lowRank.rank
        entry["lowrank_relative_error"] = lowRank.relativeError
      }
      layers[report.layer.prefix] = entry
    }
    return [
      "format_version": Self.formatVersion,
      "factor_names": [plan.naming.firstFactorName, plan.naming.secondFactorName],
      "convention": "P.weight is replaced by P.\(plan.naming.firstFactorName) (k, q, p) and "
        + "P.\(plan.naming.secondFactorName) (l, s, r), the out x in map y = x M^T with outputs in order "
        + "ss*l + ll; stored_input_major weights (GPT-2 Conv1D, in x out) were transposed before projection",
      "layers": layers,
      "left_unchanged": Dictionary(uniqueKeysWithValues: plan.notes.map { ($0.tensor, $0.reason.description) }),
      "dense_parameters": plan.denseParameters, "monarch_parameters": plan.monarchParameters,
      "settings": settings,
    ]
  }
}
