import FuzzSupport
import Foundation
import NN

/// A configuration's model and data are built only when every number in it is at most this and all of them add
/// up to at most ``largestBuiltSizeSum``, so that one input costs bounded time and memory under the fuzzer's
/// limits in a debug build; larger ones are decoded and re-encoded only. What larger sizes do (refused before
/// allocating, bounded work) is checked by unit tests.
let largestBuiltNumber = 64.0
let largestBuiltSizeSum = 256.0

/// The largest magnitude of any number in a JSON value.
func largestNumber(_ json: Any) -> Double {
  switch json {
  case let number as NSNumber: return abs(number.doubleValue)
  case let array as [Any]: return array.map(largestNumber).max() ?? 0
  case let object as [String: Any]: return object.values.map(largestNumber).max() ?? 0
  default: return 0
  }
}

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
/// the library's reader must return a configuration or a named error (and `structml eval` on a folder it
/// refuses must exit 1 or 2 with a message); a configuration it accepts must survive encoding and decoding
/// unchanged; and building its model and data must end in components or a named error, never a trap, hang or
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
  // A Markov chain's table grows as symbols^(order+1) from two small numbers.
  if case .markovChain(let task) = configuration.data, pow(Double(task.symbols), Double(task.order + 1)) > 16_384 {
    return 0
  }
  if let json, largestNumber(json) <= largestBuiltNumber, sizeSum(json) <= largestBuiltSizeSum {
    // Model and data, as eval, train and generate build them (the model's parameters allocated).
    _ = try? RunComponents(configuration)
  }
  return 0
}
