import Foundation
import NN
import TensorFiles

/// `structml lora merge`: writes a checkpoint with a PEFT LoRA adapter merged into its weights, `W + s·B·A` for
/// every adapted module and every other tensor copied unchanged.
enum LoRAMergeCommand {
  static let command = Command(
    path: ["lora", "merge"],
    summary: "merge a PEFT LoRA adapter into a checkpoint: W + s·B·A in place of every adapted weight",
    options: [
      .input(
        "base", "RUN_DIR|MODEL.safetensors",
        "a run folder written by 'structml train' (its model.safetensors), or any safetensors checkpoint whose "
          + "module weights are <module>.weight, out × in"),
      .inputFolder(
        "adapter", "ADAPTER_DIR", "a PEFT adapter folder (adapter_config.json, adapter_model.safetensors)",
        files: [PEFTAdapterConfiguration.fileName, PEFTAdapter.weightsFileName]),
      .output(
        "output", "MERGED.safetensors", "the merged checkpoint: every tensor of the base, the adapted weights merged"),
    ],
    notes: """
      The adapter's tensor base_model.model.<module>.lora_A.weight and its lora_B merge into the base tensor
      <module>.weight, each module with its own scale (alpha/r, alpha/sqrt(r) with use_rslora, rank_pattern and
      alpha_pattern honoured), transposed for weights stored in × out (fan_in_fan_out). Merged weights keep their
      element type; every other tensor and the metadata are copied unchanged. Nothing is written when a module's
      weight is missing from the base or has another shape.

      To evaluate a merged run, copy the run folder, replace its model.safetensors with the merged file and run
      'structml eval' on the copy:
        cp -R run merged-run && structml lora merge --base run --adapter adapter --output merged.safetensors
        mv merged.safetensors merged-run/model.safetensors && structml eval --checkpoint merged-run
      """
  ) { arguments, console in
    let basePath = try arguments.requiredString("base")
    let adapterPath = try arguments.requiredString("adapter")
    let outputPath = try arguments.requiredString("output")
    let model = try modelFile(basePath)
    // A run folder's model.safetensors is not an input option of its own, so OutputPaths could not compare it.
    if let identity = FileIdentity(of: URL(fileURLWithPath: outputPath)), identity == FileIdentity(of: model) {
      throw CommandError.failure(
        "option '--output': \(outputPath) is the same file as \(model.path) of --base \(basePath); "
          + "refusing to overwrite an input")
    }
    let adapter: PEFTAdapter
    do throws(LoRAError) {
      adapter = try PEFTAdapter.load(from: URL(fileURLWithPath: adapterPath))
    } catch {
      throw CommandError.failure("option '--adapter': \(error.description)")
    }
    let base: SafetensorsFile
    do {
      base = try SafetensorsFile(contentsOf: model)
    } catch {
      throw CommandError.failure("option '--base': \(error)")
    }
    do throws(LoRAError) {
      _ = try adapter.checkMergeable(into: base.tensors, file: model.path)
    } catch {
      throw CommandError.failure(error.description)
    }
    let merged = try OutputPaths.write("output", of: arguments) { url, inputs in
      do throws(LoRAError) {
        return try adapter.mergeCheckpoint(base, to: url, protectedInputs: inputs + [model])
      } catch .unwritableFile(_, let reason) {
        throw CommandError.failure("option '--output': cannot write \(url.path): \(reason)")
      } catch {
        throw CommandError.failure("\(error)")
      }
    }
    // Every module was merged (checkMergeable found each one's weight).
    var rows: [(tensor: String, module: String, scaling: LoRAScaling)] = []
    for module in adapter.factors.keys.sorted() {
      rows.append((PEFTAdapter.baseWeightName(module: module), module, try adapter.scaling(forModule: module)))
    }
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("base", .string(model.path)), ("adapter", .string(adapterPath)), ("output", .string(outputPath)),
          ("tensors", .int(base.tensors.count)), ("copied", .int(base.tensors.count - merged.count)),
          (
            "merged",
            .array(
              rows.map { row in
                .object([
                  ("module", .string(row.module)), ("tensor", .string(row.tensor)), ("rank", .int(row.scaling.rank)),
                  ("scale", .number(row.scaling.scale)),
                ])
              })
          ),
        ]).serialized())
    } else {
      let escaped = TerminalText.escaped
      for row in rows {
        let scale = LoRAInspectCommand.format(row.scaling.scale)
        console.print("merged \(escaped(row.tensor)): rank \(row.scaling.rank), scale \(scale)")
      }
      let copied = base.tensors.count - merged.count
      console.print("wrote \(escaped(outputPath)): \(merged.count) weight(s) merged, \(copied) tensor(s) copied")
    }
  }

  /// The checkpoint `--base` names: the file itself, or a run folder's `model.safetensors`.
  ///
  /// - Throws: ``CommandError/failure(_:)`` when nothing is there, the folder holds no `model.safetensors`, or
  ///   it holds an interrupted checkpoint write (which the next reader of the run would finish, replacing the
  ///   model file).
  static func modelFile(_ path: String) throws -> URL {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw CommandError.failure("option '--base': \(path): no such file or folder")
    }
    guard isFolder.boolValue else { return URL(fileURLWithPath: path) }
    let model = URL(fileURLWithPath: path).appendingPathComponent(RunCheckpoint.modelFile)
    let staging = URL(fileURLWithPath: path).appendingPathComponent(RunCheckpoint.stagingFolder)
    guard !FileManager.default.fileExists(atPath: staging.path) else {
      throw CommandError.failure(
        "option '--base': the run folder \(path) holds an interrupted checkpoint write (\(RunCheckpoint.stagingFolder)), "
          + "so its \(RunCheckpoint.modelFile) may not be the last checkpoint; "
          + "run 'structml eval --checkpoint \(path)' once to finish or discard it")
    }
    guard FileManager.default.fileExists(atPath: model.path) else {
      throw CommandError.failure(
        "option '--base': the folder \(path) holds no \(RunCheckpoint.modelFile) "
          + "(a run folder written by 'structml train')")
    }
    return model
  }
}
