import Foundation
import TensorCore
import TensorFiles

extension PEFTAdapter {
  /// The name of the checkpoint tensor a module's update is merged into: `<module>.weight`, the module's weight
  /// under its PyTorch name (PEFT's key `base_model.model.<module>.lora_A.weight` belongs to it).
  ///
  /// - Parameter module: The module's name in the base model.
  public static func baseWeightName(module: String) -> String { module + ".weight" }

  /// Writes a copy of a checkpoint with every module's update merged into its weight: `W + s·B·A` in place of
  /// each `<module>.weight` (`out × in`, or `in × out` with `fan_in_fan_out`), each module with its own scale
  /// (``scaling(forModule:)``: rank and alpha patterns, rsLoRA), every other tensor copied byte for byte, the
  /// metadata kept.
  ///
  /// Every adapted weight is checked against the checkpoint's header before any tensor is read, so a checkpoint
  /// that cannot take the adapter costs nothing and writes nothing. The tensors are then read, merged and
  /// written one at a time, in the order of the checkpoint's data, to a temporary file renamed into place when
  /// complete; on any error the destination is left as it was.
  ///
  /// ```swift
  /// let adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: "adapter"))
  /// let base = try SafetensorsFile(contentsOf: URL(fileURLWithPath: "run/model.safetensors"))
  /// let merged = try adapter.mergeCheckpoint(base, to: URL(fileURLWithPath: "merged.safetensors"))
  /// ```
  /// - Parameters:
  ///   - base: The base checkpoint (a file, or bytes parsed in memory).
  ///   - output: The merged checkpoint's destination.
  ///   - protectedInputs: Files that must not be overwritten (the base checkpoint and the adapter's files).
  /// - Returns: The names of the merged tensors, in the order of the checkpoint.
  /// - Throws: What ``checkMergeable(into:file:)`` throws; what ``mergedWeight(_:module:file:)`` throws;
  ///   ``LoRAError/unreadableFile(file:reason:)`` when a base tensor cannot be read;
  ///   ``LoRAError/unwritableFile(file:reason:)`` naming the output and why (an input in the way, a full disk).
  /// - Complexity: O(size of the checkpoint + Σ r·in·out over the modules); memory for one tensor at a time.
  @discardableResult
  public func mergeCheckpoint(
    _ base: SafetensorsFile, to output: URL, protectedInputs: [URL] = []
  ) throws(LoRAError) -> [String] {
    let file = base.url.path
    let modules = try checkMergeable(into: base.tensors, file: file)
    let writer: SafetensorsWriter
    do {
      writer = try SafetensorsWriter(
        url: output, entries: base.tensors.map { ($0.name, $0.dtype, $0.shape) }, metadata: base.metadata,
        protectedInputs: protectedInputs)
    } catch {
      throw .unwritableFile(file: output.path, reason: Self.reason(error))
    }
    var merged: [String] = []
    do throws(LoRAError) {
      for info in base.tensors {
        var data: TensorData
        do {
          data = try base.tensorData(named: info.name)
        } catch {
          throw LoRAError.unreadableFile(file: file, reason: "tensor '\(info.name)': \(Self.reason(error))")
        }
        if let module = modules[info.name] {
          data = try mergedWeight(data, module: module, file: file)
          merged.append(info.name)
        }
        do {
          try writer.append(name: info.name, data: data)
        } catch {
          throw LoRAError.unwritableFile(file: output.path, reason: Self.reason(error))
        }
      }
      do {
        try writer.finish()
      } catch {
        throw LoRAError.unwritableFile(file: output.path, reason: Self.reason(error))
      }
    } catch {
      writer.abandon()
      throw error
    }
    return merged
  }

  /// Checks, from a checkpoint's tensor descriptions alone, that every module of the adapter has a weight there
  /// that can take its update.
  ///
  /// - Parameters:
  ///   - tensors: The checkpoint's tensors (`SafetensorsFile.tensors`).
  ///   - file: Names the checkpoint in errors.
  /// - Returns: The module whose update each adapted tensor takes, by tensor name (``baseWeightName(module:)``).
  /// - Throws: ``LoRAError/baseTensorMissing(file:module:tensor:related:)`` for a module whose weight is not in
  ///   the checkpoint; ``LoRAError/baseTensorMismatch(file:module:tensor:reason:)`` for a weight whose element
  ///   type is not floating point or whose shape is not the `[out, in]` (`[in, out]` with `fan_in_fan_out`) of
  ///   the module's factors (the reason gives both).
  public func checkMergeable(into tensors: [TensorInfo], file: String) throws(LoRAError) -> [String: String] {
    let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    var modules: [String: String] = [:]
    for module in factors.keys.sorted() {
      let name = Self.baseWeightName(module: module)
      guard let info = byName[name] else {
        let related = tensors.map(\.name).filter { $0.hasPrefix(module + ".") }.sorted()
        throw .baseTensorMissing(file: file, module: module, tensor: name, related: related)
      }
      try checkWeight(dtype: info.dtype, shape: info.shape, module: module, file: file)
      modules[name] = module
    }
    return modules
  }

  /// A module's stored weight with the module's update added, `W + s·B·A` (transposed with `fan_in_fan_out`),
  /// in the weight's own element type.
  ///
  /// The update is formed in `Float` and added to the weight in `Double`, then rounded once to the element type
  /// (F32, F64, F16 or BF16).
  /// - Parameters:
  ///   - weight: The module's weight as stored.
  ///   - module: The module's name.
  ///   - file: Names the checkpoint in errors.
  /// - Throws: ``LoRAError/unknownModule(_:)`` when the adapter has no factors for the module;
  ///   ``LoRAError/baseTensorMismatch(file:module:tensor:reason:)`` for a weight of another shape or a
  ///   non-floating element type, or a merged value that is not finite in the element type (named by its
  ///   position, with the weight's and the update's values there).
  /// - Complexity: O(r · in · out).
  public func mergedWeight(_ weight: TensorData, module: String, file: String) throws(LoRAError) -> TensorData {
    guard let pair = factors[module] else { throw .unknownModule(module) }
    try checkWeight(dtype: weight.dtype, shape: weight.shape, module: module, file: file)
    let tensor = Self.baseWeightName(module: module)
    var update = Tensor<Float>(zeros: weight.shape)
    let scale = try scaling(forModule: module).scale
    try addLoRAUpdate(pair, scale: Float(scale), fanInFanOut: configuration.fanInFanOut, to: &update, module: module)
    do {
      var sum = try weight.tensor(as: Double.self)
      sum.scalars.withUnsafeMutableBufferPointer { sum in
        update.scalars.withUnsafeBufferPointer { update in
          for index in sum.indices { sum[index] += Double(update[index]) }
        }
      }
      let stored = try TensorData(sum, as: weight.dtype)
      if let index = try stored.tensor(as: Double.self).scalars.firstIndex(where: { !$0.isFinite }) {
        let (columns, original) = (weight.shape[1], try weight.tensor(as: Double.self).scalars[index])
        throw LoRAError.baseTensorMismatch(
          file: file, module: module, tensor: tensor,
          reason: "the merged value at [\(index / columns), \(index % columns)] is not finite in "
            + "\(weight.dtype.rawValue) (weight \(original), update \(update.scalars[index]))")
      }
      return stored
    } catch let error as LoRAError {
      throw error
    } catch {
      throw .baseTensorMismatch(file: file, module: module, tensor: tensor, reason: Self.reason(error))
    }
  }

  /// Checks that a weight of this element type and shape can take the module's update.
  private func checkWeight(dtype: DType, shape: [Int], module: String, file: String) throws(LoRAError) {
    let tensor = Self.baseWeightName(module: module)
    guard TensorData.floatingPointStorageTypes.contains(dtype) else {
      throw .baseTensorMismatch(
        file: file, module: module, tensor: tensor,
        reason: "its elements are \(dtype.rawValue); only F32, F64, F16 and BF16 weights can be merged into")
    }
    guard let pair = factors[module] else { throw .unknownModule(module) }
    let layer = [pair.outputFeatures, pair.inputFeatures]
    let stored = configuration.fanInFanOut ? [pair.inputFeatures, pair.outputFeatures] : layer
    guard shape == stored else {
      let layout = configuration.fanInFanOut ? "[in, out] = \(stored) (fan_in_fan_out)" : "[out, in] = \(stored)"
      throw .baseTensorMismatch(
        file: file, module: module, tensor: tensor,
        reason: "its shape \(shape) is not \(layout) of the adapter's lora_A \(pair.a.shape) and lora_B \(pair.b.shape)")
    }
  }

  /// The reason a file error gives, or the error's description.
  private static func reason(_ error: any Error) -> String {
    (error as? TensorFileError)?.reason ?? "\(error)"
  }
}
