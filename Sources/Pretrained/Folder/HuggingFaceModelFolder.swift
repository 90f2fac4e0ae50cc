import Foundation
import Monarch
import NN
import TensorFiles

/// A Hugging Face model folder: `config.json` and the weights in `model.safetensors`, with the name
/// resolution every architecture's loader shares.
///
/// A loader declares its parameters under the checkpoint's own names without a head prefix (BERT's
/// `encoder.layer.0.attention.self.query.weight`), picks the prefix the file uses with
/// ``resolvingPrefix(among:holding:)`` (`bert.` in `BertFor…` checkpoints), declares each linear map with
/// ``linearLayer(_:inputFeatures:outputFeatures:bias:layout:)`` (dense, or Monarch where the folder holds
/// factors instead of a weight) and fills its `ParameterStore` with ``load(into:)``: each tensor is decoded
/// straight into its slot, one at a time, and tensors no slot asks for (pooler, position-id buffers) are never
/// read.
public struct HuggingFaceModelFolder: Sendable {
  /// The folder.
  public let url: URL
  /// The parsed `config.json`.
  public let configuration: HuggingFaceConfiguration
  /// The opened `model.safetensors` (only its header is read so far).
  public let weights: SafetensorsFile
  /// The prefix of every tensor name in the file (`""` or, say, `"bert."`).
  public private(set) var tensorPrefix = ""

  /// The path of the weights file, for error messages.
  public var weightsPath: String { weights.url.path }

  /// Opens the folder: parses `config.json` and the header of `model.safetensors`.
  ///
  /// - Throws: ``PretrainedModelError/unreadableFile(file:reason:)`` naming the folder or file that is
  ///   missing or unreadable; ``PretrainedModelError/invalidConfiguration(file:field:reason:)`` when
  ///   `config.json` is not a JSON object.
  public init(url: URL) throws(PretrainedModelError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw .unreadableFile(file: url.path, reason: "no such model folder")
    }
    self.url = url
    let configURL = url.appendingPathComponent("config.json")
    let data: Data
    do { data = try Data(contentsOf: configURL) } catch {
      throw .unreadableFile(file: configURL.path, reason: "cannot read the model configuration")
    }
    configuration = try HuggingFaceConfiguration(data: data, file: configURL.path)
    let weightsURL = url.appendingPathComponent("model.safetensors")
    guard FileManager.default.fileExists(atPath: weightsURL.path) else {
      throw .unreadableFile(file: weightsURL.path, reason: "the weights file is missing")
    }
    do { weights = try SafetensorsFile(contentsOf: weightsURL) } catch {
      throw .unreadableFile(file: weightsURL.path, reason: "\(error)")
    }
  }

  /// The folder with ``tensorPrefix`` set to the first of `candidates` under which the file holds `probe`.
  ///
  /// - Throws: ``PretrainedModelError/missingTensor(file:tensor:)`` naming `probe` when no candidate holds it.
  public func resolvingPrefix(among candidates: [String], holding probe: String) throws(PretrainedModelError) -> Self {
    let names = Set(weights.names)
    guard let prefix = candidates.first(where: { names.contains($0 + probe) }) else {
      throw .missingTensor(file: weightsPath, tensor: probe)
    }
    var folder = self
    folder.tensorPrefix = prefix
    return folder
  }

  /// Whether the file holds the tensor `name` (after the prefix and the `gamma`/`beta` aliases).
  public func holds(_ name: String) -> Bool { fileName(of: name) != nil }

  /// The name in the file of the parameter `name`: `prefix + name`, or the older `gamma`/`beta` for a norm's
  /// `weight`/`bias`.
  public func fileName(of name: String) -> String? {
    var candidates = [tensorPrefix + name]
    if name.hasSuffix(".weight") { candidates.append(tensorPrefix + name.dropLast(6) + "gamma") }
    if name.hasSuffix(".bias") { candidates.append(tensorPrefix + name.dropLast(4) + "beta") }
    return candidates.first { (try? weights.info(named: $0)) != nil }
  }

  /// Declares the linear map `name` as the folder stores it: a dense `Linear` when `name.weight` is present,
  /// else a `MonarchLinearLayer` when the folder holds Monarch factors `name.w1`/`name.w2` (or
  /// `name.blkdiag1`/`name.blkdiag2`, with the metadata of `MonarchCheckpoint`), which is what
  /// `structml monarch compress` writes.
  ///
  /// - Throws: ``PretrainedModelError/missingTensor(file:tensor:)`` naming `name.weight` when neither is
  ///   present; ``PretrainedModelError/tensorShapeMismatch(file:tensor:expected:actual:)`` when the factors'
  ///   layout has other widths; ``PretrainedModelError/invalidMonarchFactors(file:layer:reason:)`` for factors
  ///   or metadata that do not form a layout.
  public func linearLayer(
    _ name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true, layout: inout ParameterLayout
  ) throws(PretrainedModelError) -> any LinearLayer {
    do {
      if holds(ParameterLayout.qualified(name, "weight")) {
        return try Linear(name, inputFeatures: inputFeatures, outputFeatures: outputFeatures, bias: bias, layout: &layout)
      }
      let prefixed = tensorPrefix + name
      guard MonarchCheckpoint.layers(in: weights).contains(prefixed) else {
        throw PretrainedModelError.missingTensor(file: weightsPath, tensor: prefixed + ".weight")
      }
      let naming = try MonarchCheckpoint.naming(of: prefixed, in: weights)
      let first = try weights.info(named: MonarchCheckpoint.qualified(naming.firstFactorName, prefix: prefixed))
      let second = try weights.info(named: MonarchCheckpoint.qualified(naming.secondFactorName, prefix: prefixed))
      let monarchLayout = try MonarchCheckpoint.layout(
        firstShape: first.shape, secondShape: second.shape, metadata: weights.metadata, prefix: prefixed)
      guard monarchLayout.inFeatures == inputFeatures, monarchLayout.outFeatures == outputFeatures else {
        throw PretrainedModelError.tensorShapeMismatch(
          file: weightsPath, tensor: prefixed, expected: [outputFeatures, inputFeatures],
          actual: [monarchLayout.outFeatures, monarchLayout.inFeatures])
      }
      return try MonarchLinearLayer(name, monarchLayout: monarchLayout, bias: bias, naming: naming, layout: &layout)
    } catch let error as PretrainedModelError {
      throw error
    } catch {
      throw .invalidMonarchFactors(file: weightsPath, layer: tensorPrefix + name, reason: "\(error)")
    }
  }

  /// Decodes every slot of `store` from the file (F32 copied as is, other floating-point types converted).
  ///
  /// - Throws: ``PretrainedModelError/missingTensor(file:tensor:)``,
  ///   ``PretrainedModelError/tensorShapeMismatch(file:tensor:expected:actual:)`` naming the tensor, checked
  ///   for every slot before any data is read; ``PretrainedModelError/unreadableFile(file:reason:)`` when a
  ///   tensor cannot be read or is not floating point.
  /// - Complexity: O(parameters): one read of each tensor the model uses.
  public func load(into store: ParameterStore) throws(PretrainedModelError) {
    var sources: [(ParameterSlot, String)] = []
    for slot in store.slots {
      guard let name = fileName(of: slot.name) else {
        throw .missingTensor(file: weightsPath, tensor: tensorPrefix + slot.name)
      }
      let info: TensorInfo
      do { info = try weights.info(named: name) } catch {
        throw .missingTensor(file: weightsPath, tensor: name)
      }
      guard info.shape == slot.shape else {
        throw .tensorShapeMismatch(file: weightsPath, tensor: name, expected: slot.shape, actual: info.shape)
      }
      sources.append((slot, name))
    }
    for (slot, name) in sources {
      let target = store.values + slot.offset
      do {
        let data = try weights.tensorData(named: name)
        if data.dtype == .float32 {
          data.bytes.withUnsafeBytes { bytes in
            for index in 0..<slot.count {
              target[index] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)))
            }
          }
        } else {
          let tensor = try data.tensor(as: Float.self)
          tensor.scalars.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: slot.count) }
        }
      } catch {
        throw .unreadableFile(file: weightsPath, reason: "tensor '\(name)': \(error)")
      }
    }
  }
}
