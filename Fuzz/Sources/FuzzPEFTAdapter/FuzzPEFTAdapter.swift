import Foundation
import FuzzSupport
import NN
import TensorCore

/// The adapter every input is read with: two modules `blocks.0.q` and `blocks.1.q` (4 → 3), rank 2.
let referenceAdapter: PEFTAdapter = {
  do {
    let factors = try LoRAFactors(
      a: Tensor(shape: [2, 4], scalars: (0..<8).map { Float($0) / 8 }),
      b: Tensor(shape: [3, 2], scalars: (0..<6).map { Float($0) / 6 - 0.5 }))
    return try PEFTAdapter(
      configuration: PEFTAdapterConfiguration(rank: 2, alpha: 4, targetModules: .modules(["q"])),
      factors: ["blocks.0.q": factors, "blocks.1.q": factors])
  } catch {
    fatalError("fuzz: the reference adapter does not build: \(error)")
  }
}()

/// The reference adapter's two files, written once.
let referenceFiles: (configuration: [UInt8], weights: [UInt8]) = {
  let folder = ScratchDirectory.shared.file("reference")
  do {
    try referenceAdapter.save(to: folder)
    return (
      Array(try Data(contentsOf: folder.appendingPathComponent(PEFTAdapterConfiguration.fileName))),
      Array(try Data(contentsOf: folder.appendingPathComponent(PEFTAdapter.weightsFileName))))
  } catch {
    fatalError("fuzz: the reference adapter cannot be written: \(error)")
  }
}()

/// Fuzzes a PEFT adapter folder, the input `lora inspect`, `lora merge` and PyTorch users hand us. The first
/// byte picks the file the rest replaces (even: `adapter_config.json`, odd: `adapter_model.safetensors`); the
/// other file is the reference adapter's. Loading must give an adapter or a `LoRAError`, never a trap or
/// hang; an adapter that loads must save and load back unchanged (but for `inference_mode`, which saving sets); and `structml lora inspect` must exit 0, 1
/// or 2 with a message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPEFTAdapter(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  guard count >= 1 else { return 0 }
  let scratch = ScratchDirectory.shared
  let folder = scratch.file("adapter")
  try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let replacesConfiguration = bytes[0] % 2 == 0
  let (fuzzed, kept) =
    replacesConfiguration
    ? (PEFTAdapterConfiguration.fileName, (PEFTAdapter.weightsFileName, referenceFiles.weights))
    : (PEFTAdapter.weightsFileName, (PEFTAdapterConfiguration.fileName, referenceFiles.configuration))
  _ = scratch.write(bytes + 1, count: count - 1, to: "adapter/\(fuzzed)")
  _ = scratch.write(kept.1, to: "adapter/\(kept.0)")
  runTool(["lora", "inspect", folder.path])
  let adapter: PEFTAdapter
  do {
    adapter = try PEFTAdapter.load(from: folder)
  } catch {
    require(!error.description.isEmpty, "a load error without a message")
    return 0
  }
  let copy = scratch.file("copy")
  try? FileManager.default.removeItem(at: copy)
  do {
    try adapter.save(to: copy)
    let loaded = try PEFTAdapter.load(from: copy)
    // Saving marks the configuration for inference, as PEFT does; nothing else may change.
    var expected = adapter.configuration
    expected.inferenceMode = true
    require(loaded.configuration == expected, "save and load changed the configuration \(adapter.configuration)")
    require(loaded.factors == adapter.factors, "save and load changed the factors")
  } catch {
    require(false, "an adapter that loads does not save and load back: \(error)")
  }
  return 0
}
