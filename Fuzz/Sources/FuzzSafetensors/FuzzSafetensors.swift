import FuzzSupport
import Foundation
import TensorCore
import TensorFiles

/// Fuzzes the `.safetensors` reader: header parsing and validation, reading every tensor, statistics,
/// conversion to `Float`, and a write/read round trip of the whole file; then `structml inspect --stats`
/// on the same file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let scratch = ScratchDirectory.shared
  let url = scratch.write(bytes, count: count, to: "input.safetensors")
  if let file = try? SafetensorsFile(contentsOf: url) {
    var tensors: [(String, TensorData)] = []
    for info in file.tensors {
      guard let data = try? file.tensorData(named: info.name) else {
        fatalError("fuzz property failed: listed tensor '\(info.name)' cannot be read")
      }
      require(data.shape == info.shape && data.dtype == info.dtype, "tensor '\(info.name)' differs from its entry")
      _ = try? TensorStatistics(of: data)
      _ = try? data.tensor(as: Float.self)
      tensors.append((info.name, data))
    }
    let copy = scratch.file("copy.safetensors")
    if (try? SafetensorsWriter.write(tensors, metadata: file.metadata, to: copy)) != nil {
      let reread = try? SafetensorsFile(contentsOf: copy)
      require(reread?.metadata == file.metadata, "write then read changed the metadata")
      for (name, data) in tensors {
        require((try? reread?.tensorData(named: name)) == data, "write then read changed tensor '\(name)'")
      }
    }
  }
  runTool(["inspect", "--stats", url.path])
  runTool(["inspect", "--stats", "--json", url.path])
  return 0
}
