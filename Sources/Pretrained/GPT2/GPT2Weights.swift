import Foundation
import NN
import TensorFiles

/// Copies a GPT-2 `model.safetensors` (Hugging Face's `GPT2Model` or `GPT2LMHeadModel` names) into a
/// `LanguageModel`'s parameters, which already follow nanoGPT's names for the same tensors.
///
/// `wte`, `wpe`, `h.N.ln_1`, `h.N.attn.c_attn`, `h.N.attn.c_proj`, `h.N.ln_2`, `h.N.mlp.c_fc`,
/// `h.N.mlp.c_proj` and `ln_f` are read with or without the `transformer.` prefix. GPT-2's `Conv1D` weights
/// are stored `in × out`; each is transposed once, here, into the model's `out × in`. `c_attn` packs queries,
/// keys and values along its output as the model's attention expects. The causal-mask buffers
/// `attn.bias`/`attn.masked_bias` and the tied `lm_head.weight` are skipped; any other tensor is an error.
/// F32, F16 and BF16 files load (converted to `Float`).
public enum GPT2Weights {
  /// The Conv1D modules, whose weights are stored transposed.
  static let transposedModules = [".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight"]

  /// Fills every parameter of `model` from `file`.
  ///
  /// - Throws: ``PretrainedModelError/missingTensor(file:tensor:)``,
  ///   ``PretrainedModelError/tensorShapeMismatch(file:tensor:expected:actual:)`` (the shape as the file stores
  ///   it), ``PretrainedModelError/nonFiniteTensor(file:tensor:)``,
  ///   ``PretrainedModelError/unexpectedTensor(file:tensor:)``, or
  ///   ``PretrainedModelError/unreadableFile(file:reason:)`` for a tensor that cannot be read as numbers.
  public static func load(into model: LanguageModel, from file: SafetensorsFile) throws(PretrainedModelError) {
    let path = file.url.path
    let names = Set(file.names)
    let prefix = names.contains("transformer.wte.weight") ? "transformer." : ""
    let parameters = model.parameters
    var used: Set<String> = []
    for slot in parameters.slots {
      let ownName = slot.name.hasPrefix("transformer.") ? String(slot.name.dropFirst("transformer.".count)) : slot.name
      let name = prefix + ownName
      guard names.contains(name) else { throw .missingTensor(file: path, tensor: name) }
      let transposed = slot.shape.count == 2 && transposedModules.contains { slot.name.hasSuffix($0) }
      let expected = transposed ? [slot.shape[1], slot.shape[0]] : slot.shape
      let tensor: [Float]
      let id: ParameterID
      do {
        id = try parameters.id(of: slot.name)
        let info = try file.info(named: name)
        guard info.shape == expected else {
          throw PretrainedModelError.tensorShapeMismatch(file: path, tensor: name, expected: expected, actual: info.shape)
        }
        tensor = try file.tensorData(named: name).tensor(as: Float.self).scalars
      } catch let error as PretrainedModelError {
        throw error
      } catch {
        throw .unreadableFile(file: path, reason: "tensor '\(name)': \(error)")
      }
      guard tensor.allSatisfy(\.isFinite) else { throw .nonFiniteTensor(file: path, tensor: name) }
      let values = parameters.values(id)
      if transposed {
        let (rows, columns) = (slot.shape[0], slot.shape[1])
        for row in 0..<rows {
          for column in 0..<columns { values[row * columns + column] = tensor[column * rows + row] }
        }
      } else {
        _ = values.update(fromContentsOf: tensor)
      }
      used.insert(name)
    }
    for name in file.names where !used.contains(name) && !isSkipped(name) {
      throw .unexpectedTensor(file: path, tensor: name)
    }
  }

  /// Buffers and the tied head: tensors of a GPT-2 file that are not parameters of their own.
  private static func isSkipped(_ name: String) -> Bool {
    name == "lm_head.weight" || name.hasSuffix(".attn.bias") || name.hasSuffix(".attn.masked_bias")
  }
}
