import Foundation
import TensorCore
import TensorFiles

extension PEFTAdapter {
  /// The name PEFT gives the tensor file inside an adapter folder.
  public static let weightsFileName = "adapter_model.safetensors"
  /// The prefix of every tensor key: the names `PeftModel` gives the base model's modules.
  public static let tensorKeyPrefix = "base_model.model."
  /// The element types a stored factor may have; each is converted to `Float` on load.
  public static let factorStorageTypes: [DType] = [.float32, .float16, .bfloat16, .float64]

  /// The tensor key of a module's `lora_A` (`A: true`) or `lora_B` factor.
  ///
  /// - Parameters:
  ///   - module: The module's name in the base model.
  ///   - a: Whether the key is the `lora_A` factor's.
  /// - Returns: `base_model.model.<module>.lora_A.weight` or `….lora_B.weight`.
  public static func tensorKey(module: String, a: Bool) -> String {
    tensorKeyPrefix + module + (a ? ".lora_A.weight" : ".lora_B.weight")
  }

  /// Reads an adapter folder written by PEFT's `save_pretrained` (or by ``save(to:protectedInputs:)``).
  ///
  /// The folder holds `adapter_config.json` (read with a limit of
  /// ``PEFTAdapterConfiguration/maximumFileBytes``) and `adapter_model.safetensors`, whose every tensor must be a
  /// `base_model.model.<module>.lora_A.weight` (`r × in`) or `….lora_B.weight` (`out × r`) in F32, F16, BF16 or
  /// F64; factors are converted to `Float`. The legacy pickle `adapter_model.bin` is not read.
  /// - Parameter directory: The adapter folder.
  /// - Returns: The adapter, checked against its configuration.
  /// - Throws: ``LoRAError/unreadableFile(file:reason:)`` for a missing folder or file, or one that cannot be read
  ///   or is not a valid safetensors file; what ``PEFTAdapterConfiguration/init(jsonBytes:file:)`` throws;
  ///   ``LoRAError/unexpectedTensor(file:key:reason:)`` for a tensor outside `base_model.model.`, a key that is
  ///   not a LoRA factor's (a DoRA magnitude, an embedding adapter) or an element type that is not floating
  ///   point; ``LoRAError/invalidTensorShape(file:key:shape:reason:)`` for a factor that is not a matrix or
  ///   whose rank differs from its partner's; ``LoRAError/missingTensor(file:key:)`` for a module with only one
  ///   factor; ``LoRAError/rankDisagreesWithConfiguration(file:module:configured:stored:)`` when the stored rank
  ///   is not the configured one (`rank_pattern` honoured); ``LoRAError/moduleNotTargeted(file:module:)``;
  ///   ``LoRAError/nonFiniteTensor(file:key:)`` for a factor that holds NaN or an infinity.
  public static func load(from directory: URL) throws(LoRAError) -> PEFTAdapter {
    let configurationURL = directory.appendingPathComponent(PEFTAdapterConfiguration.fileName)
    let weightsURL = directory.appendingPathComponent(weightsFileName)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue else {
      throw .unreadableFile(file: directory.path, reason: "no such folder (a PEFT adapter is a folder)")
    }
    let configuration = try PEFTAdapterConfiguration(
      jsonBytes: try readFile(configurationURL, maximumBytes: PEFTAdapterConfiguration.maximumFileBytes),
      file: configurationURL.path)
    let factors = try readFactors(weightsURL, configuration: configuration)
    do throws(LoRAError) {
      return try PEFTAdapter(configuration: configuration, factors: factors)
    } catch .moduleNotTargeted(_, let module) {
      throw .moduleNotTargeted(file: configurationURL.path, module: module)
    }
  }

  /// Writes the adapter folder PEFT's `save_pretrained` writes: `adapter_model.safetensors` (F32 factors under
  /// `base_model.model.`, metadata `{"format": "pt"}`) and `adapter_config.json`
  /// (``PEFTAdapterConfiguration/inferenceMode`` set, as PEFT sets it when saving).
  ///
  /// A folder that does not exist yet is written whole under a temporary sibling name
  /// (`.NAME.partial-UUID`) and renamed into place, so it appears complete or not at all. In an existing
  /// folder both files are written in full to temporary files first and then renamed over the old ones one
  /// after the other (each file is replaced atomically; only a crash between the two renames leaves the new
  /// tensors beside the old configuration). On any error nothing is left behind.
  /// - Parameters:
  ///   - directory: The adapter folder; its parent must exist.
  ///   - protectedInputs: Files the caller reads from, which must not be overwritten.
  /// - Throws: ``LoRAError/unwritableFile(file:reason:)`` naming the file or folder and why (not a folder, no
  ///   permission, a full disk, an input in the way); what ``PEFTAdapterConfiguration/encodedJSON()`` throws.
  public func save(to directory: URL, protectedInputs: [URL] = []) throws(LoRAError) {
    var written = configuration
    written.inferenceMode = true
    let json = try written.encodedJSON()
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder) {
      guard isFolder.boolValue else { throw .unwritableFile(file: directory.path, reason: "it exists and is not a folder") }
      try writeFiles(json: json, into: directory, protectedInputs: protectedInputs)
      return
    }
    let staging = directory.deletingLastPathComponent()
      .appendingPathComponent(".\(directory.lastPathComponent).partial-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
    } catch {
      throw .unwritableFile(file: directory.path, reason: "cannot create a folder beside it: \(error.localizedDescription)")
    }
    do throws(LoRAError) {
      try writeFiles(json: json, into: staging, protectedInputs: protectedInputs)
      do {
        try FileManager.default.moveItem(at: staging, to: directory)
      } catch {
        throw LoRAError.unwritableFile(
          file: directory.path, reason: "cannot rename the finished folder into place: \(error.localizedDescription)")
      }
    } catch {
      try? FileManager.default.removeItem(at: staging)
      throw error
    }
  }

  /// Writes both files to temporary files in `folder`, then renames the tensors and the configuration into place.
  private func writeFiles(json: [UInt8], into folder: URL, protectedInputs: [URL]) throws(LoRAError) {
    let weightsURL = folder.appendingPathComponent(Self.weightsFileName)
    let configurationURL = folder.appendingPathComponent(PEFTAdapterConfiguration.fileName)
    var current = weightsURL
    do {
      var tensors: [(String, TensorData)] = []
      for module in factors.keys.sorted() {
        guard let pair = factors[module] else { continue }
        tensors.append((Self.tensorKey(module: module, a: true), try TensorData(pair.a)))
        tensors.append((Self.tensorKey(module: module, a: false), try TensorData(pair.b)))
      }
      // All factors are F32, so the reference writer's order (element size, then name) is the order by name.
      tensors.sort { $0.0 < $1.0 }
      let weights = try SafetensorsWriter(
        url: weightsURL, entries: tensors.map { ($0.0, $0.1.dtype, $0.1.shape) }, metadata: ["format": "pt"],
        protectedInputs: protectedInputs)
      for (name, data) in tensors { try weights.append(name: name, data: data) }
      current = configurationURL
      let configurationFile = try AtomicFile(url: configurationURL, protectedInputs: protectedInputs)
      try configurationFile.write(contentsOf: json)
      current = weightsURL
      try weights.finish()
      current = configurationURL
      try configurationFile.commit()
    } catch let error as TensorFileError {
      throw .unwritableFile(file: current.path, reason: error.reason)
    } catch {
      throw .unwritableFile(file: current.path, reason: "\(error)")
    }
  }

  /// The whole contents of a file, with the errors of a missing, unreadable or oversized file named.
  private static func readFile(_ url: URL, maximumBytes: Int) throws(LoRAError) -> [UInt8] {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw .unreadableFile(
        file: url.path, reason: "no such file (a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors)")
    }
    do {
      return try ReadOnlyFile.contents(of: url, maximumBytes: maximumBytes)
    } catch let error as TensorFileError {
      throw .unreadableFile(file: url.path, reason: error.reason)
    } catch {
      throw .unreadableFile(file: url.path, reason: "\(error)")
    }
  }

  /// Reads and pairs the factors of `adapter_model.safetensors`, checking keys, element types and shapes.
  private static func readFactors(
    _ url: URL, configuration: PEFTAdapterConfiguration
  ) throws(LoRAError) -> [String: LoRAFactors] {
    let file = url.path
    guard FileManager.default.fileExists(atPath: file) else {
      let pickle = url.deletingLastPathComponent().appendingPathComponent("adapter_model.bin")
      if FileManager.default.fileExists(atPath: pickle.path) {
        throw .unreadableFile(
          file: file, reason: "no such file; the folder holds adapter_model.bin, a pickle, which is not read "
            + "(save it with safe_serialization=True)")
      }
      throw .unreadableFile(file: file, reason: "no such file")
    }
    let tensors: SafetensorsFile
    do {
      tensors = try SafetensorsFile(contentsOf: url)
    } catch let error as TensorFileError {
      throw .unreadableFile(file: file, reason: error.reason)
    } catch {
      throw .unreadableFile(file: file, reason: "\(error)")
    }
    var halves: [String: (a: Tensor<Float>?, b: Tensor<Float>?)] = [:]
    for info in tensors.tensors {
      let (module, isA) = try factorKey(info.name, file: file)
      guard factorStorageTypes.contains(info.dtype) else {
        throw .unexpectedTensor(
          file: file, key: info.name, reason: "its elements are \(info.dtype.rawValue); factors are F32, F16, BF16 or F64")
      }
      guard info.shape.count == 2, info.shape.allSatisfy({ $0 > 0 }) else {
        throw .invalidTensorShape(
          file: file, key: info.name, shape: info.shape, reason: "a LoRA factor is a matrix with positive extents")
      }
      let tensor: Tensor<Float>
      do {
        tensor = try tensors.tensorData(named: info.name).tensor(as: Float.self)
      } catch let error as TensorFileError {
        throw .unreadableFile(file: file, reason: error.reason)
      } catch {
        throw .unreadableFile(file: file, reason: "\(error)")
      }
      // A NaN or an infinity would spread silently into every output of the adapted layer.
      guard tensor.scalars.allSatisfy(\.isFinite) else { throw .nonFiniteTensor(file: file, key: info.name) }
      if isA { halves[module, default: (nil, nil)].a = tensor } else { halves[module, default: (nil, nil)].b = tensor }
    }
    var factors: [String: LoRAFactors] = [:]
    for module in halves.keys.sorted() {
      guard let a = halves[module]?.a else { throw .missingTensor(file: file, key: tensorKey(module: module, a: true)) }
      guard let b = halves[module]?.b else { throw .missingTensor(file: file, key: tensorKey(module: module, a: false)) }
      guard b.columns == a.rows else {
        throw .invalidTensorShape(
          file: file, key: tensorKey(module: module, a: false), shape: b.shape,
          reason: "lora_B must be out × r with the rank r = \(a.rows) of lora_A \(a.shape)")
      }
      let configured = try configuration.scaling(forModule: module).rank
      guard a.rows == configured else {
        throw .rankDisagreesWithConfiguration(file: file, module: module, configured: configured, stored: a.rows)
      }
      factors[module] = try LoRAFactors(a: a, b: b, module: module)
    }
    return factors
  }

  /// The module name and factor (`true` for `lora_A`) of a tensor key, or why the key is not a LoRA factor's.
  private static func factorKey(_ key: String, file: String) throws(LoRAError) -> (module: String, isA: Bool) {
    guard key.hasPrefix(tensorKeyPrefix) else {
      throw .unexpectedTensor(file: file, key: key, reason: "not under the PeftModel prefix '\(tensorKeyPrefix)'")
    }
    let name = key.dropFirst(tensorKeyPrefix.count)
    for (suffix, isA) in [(".lora_A.weight", true), (".lora_B.weight", false)] where name.hasSuffix(suffix) {
      let module = String(name.dropLast(suffix.count))
      if !module.isEmpty { return (module, isA) }
    }
    let reason: String
    if name.contains("lora_magnitude_vector") {
      reason = "a DoRA magnitude vector; DoRA is not implemented"
    } else if name.contains("lora_embedding_") {
      reason = "an embedding adapter; only adapters on linear modules are implemented"
    } else {
      reason = "not a LoRA factor (<module>.lora_A.weight or <module>.lora_B.weight)"
    }
    throw .unexpectedTensor(file: file, key: key, reason: reason)
  }
}
