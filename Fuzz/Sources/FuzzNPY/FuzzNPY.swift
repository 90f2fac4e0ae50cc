import FuzzSupport
import TensorCore
import TensorFiles

/// Fuzzes the `.npy` reader: header parsing, reading the elements (byte swaps, Fortran order), statistics,
/// conversion to `Float`, and a write/read round trip of whatever was read; then `structml inspect --stats`
/// on the same file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let scratch = ScratchDirectory.shared
  let url = scratch.write(bytes, count: count, to: "input.npy")
  if let file = try? NPYFile(contentsOf: url), let data = try? file.tensorData() {
    require(data.shape == file.header.shape, "shape \(data.shape) differs from the header's \(file.header.shape)")
    require(data.bytes.count == file.info.byteCount, "read \(data.bytes.count) bytes of \(file.info.byteCount)")
    if let statistics = try? TensorStatistics(of: data) {
      require(statistics.count == data.elementCount, "statistics over \(statistics.count) of \(data.elementCount)")
    }
    _ = try? data.tensor(as: Float.self)
    _ = try? data.tensor(as: Double.self)
    let copy = scratch.file("copy.npy")
    if (try? NPYFile.write(data, to: copy)) != nil {
      let reread = try? NPYFile.read(copy)
      require(reread == data, "write then read changed \(data.dtype) \(data.shape)")
    }
  }
  runTool(["inspect", "--stats", url.path])
  runTool(["inspect", "--stats", "--json", url.path])
  return 0
}
