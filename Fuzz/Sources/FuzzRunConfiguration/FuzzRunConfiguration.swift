import FuzzSupport
import Foundation
import NN

/// A configuration is built (its model allocated and its data generated) only when the numbers in it add up
/// to at most this, so that one input costs bounded time and memory under the fuzzer's limits; larger ones
/// are decoded and re-encoded only. What larger sizes do (refused before allocating) is a unit test's job.
let largestBuiltSizeSum = 4096.0

/// The sum of the magnitudes of every number in a JSON value (`nil` for text that is not JSON).
func sizeSum(_ json: Any) -> Double {
  switch json {
  case let number as NSNumber: return abs(number.doubleValue)
  case let array as [Any]: return array.reduce(0) { $0 + sizeSum($1) }
  case let object as [String: Any]: return object.values.reduce(0) { $0 + sizeSum($1) }
  default: return 0
  }
}

/// Fuzzes a run folder's `config.json`, the file `structml eval`, `train --resume` and `generate` trust least:
/// the library's reader must return a configuration or a named error; a configuration it accepts must survive
/// encoding and decoding unchanged; and `structml eval` on the folder (configuration, model and data built,
/// then the missing checkpoint reported) must end with exit status 1 or 2 and a message, never a trap, hang or
/// excess allocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunConfiguration(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
  let scratch = ScratchDirectory.shared
  let folder = scratch.file("run")
  try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  _ = scratch.write(bytes, count: count, to: "run/config.json")
  guard let configuration = try? RunCheckpoint.readConfiguration(from: folder) else {
    runTool(["eval", "--checkpoint", folder.path])
    return 0
  }
  let encoded = try? JSONEncoder().encode(configuration)
  let decoded = encoded.flatMap { try? JSONDecoder().decode(RunConfiguration.self, from: $0) }
  require(decoded == configuration, "encoding and decoding changed the configuration \(configuration)")
  let json = try? JSONSerialization.jsonObject(with: Data(bytes: bytes, count: count), options: [.fragmentsAllowed])
  if let json, sizeSum(json) <= largestBuiltSizeSum {
    let (status, _) = runTool(["eval", "--checkpoint", folder.path])
    require(status != 0, "eval succeeded on a run folder without a checkpoint")
  }
  return 0
}
