import FuzzSupport
import Foundation
import Monarch
import TensorCore
import TensorFiles

/// Reads a Monarch factor file through the library's checkpoint reader, as `structml monarch apply` does for a
/// file without a `:LAYER` suffix (``MonarchCheckpoint/read(_:from:prefix:)`` with both namings and every
/// metadata check).
func readFactorFile(_ url: URL) throws -> MonarchMatrix<Float> {
  try MonarchCheckpoint.read(Float.self, from: SafetensorsFile(contentsOf: url))
}

/// Input rows are built only for widths up to this, so one input costs bounded memory.
let largestInputWidth = 1 << 14

/// Fuzzes the Monarch factor reader and `structml monarch apply`: the factor file is the fuzz input; when the
/// library accepts it, two rows of matching width are multiplied by the library and by the command, and the
/// command's output must equal the library's product.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMonarchFactors(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let scratch = ScratchDirectory.shared
  let factors = scratch.write(bytes, count: count, to: "factors.safetensors")
  let matrix = try? readFactorFile(factors)
  let width = matrix.map { $0.layout.inFeatures } ?? 1
  guard width <= largestInputWidth else { return 0 }
  let x = Tensor<Float>(shape: [2, width]) { Float($0 % 7) - 3 }
  let input = scratch.file("x.npy")
  let output = scratch.file("y.npy")
  scratch.remove("y.npy")
  do {
    try NPYFile.write(TensorData(x), to: input)
  } catch {
    fatalError("fuzz: cannot write \(input.path): \(error)")
  }
  let expected = matrix.flatMap { try? $0.multiply(x) }
  let (status, _) = runTool(["monarch", "apply", "--factors", factors.path, "--input", input.path, "--output", output.path])
  if matrix == nil {
    require(status != 0, "monarch apply accepted factors the library rejects")
  }
  if status == 0, let expected {
    let written = try? NPYFile.read(output).tensor(as: Float.self)
    require(
      written?.shape == expected.shape
        && zip(written!.scalars, expected.scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) },
      "monarch apply wrote a different product than MonarchMatrix.multiply")
  }
  return 0
}
