import Foundation
import StateSpaces
import TensorCore
import TensorFiles

/// `structml ssm kernel`: an S4, S4D or RTF convolution kernel, its agreement with the power series and its time.
enum SSMKernelCommand {
  static let command = Command(
    path: ["ssm", "kernel"],
    summary: "compute an S4, S4D or RTF kernel and check it against the naive power series C Ā^k B̄",
    options: [
      .value("kind", "KIND", "s4, s4d or rtf (default s4)"), StateSpaceCommandSupport.orderOption,
      .value("length", "L", "kernel length (default 1024)"), .value("channels", "H", "channels (default 1)"),
      .value("output", "K.npy", "write the H × L kernels"),
    ]
  ) { arguments, console in
    let kind = KernelWorkload.Kind(rawValue: try arguments.choice("kind", ["s4", "s4d", "rtf"], default: "s4")!)!
    let n = try StateSpaceCommandSupport.order(arguments)
    let length = try arguments.int("length", default: 1024, in: 1...(1 << 24))!
    let channels = try arguments.int("channels", default: 1, in: 1...65536)!
    let workload = try StateSpaceCommandSupport.usage {
      try KernelWorkload(kind: kind, order: n, length: length, channels: channels)
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let kernels = try StateSpaceCommandSupport.usage { try workload.kernels() }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    let difference = try workload.powerSeriesDifference(kernels)
    if let path = arguments.string("output") {
      do {
        let data = try TensorData(Tensor<Double>(shape: [channels, length], scalars: kernels))
        try NPYFile.write(data, to: URL(fileURLWithPath: path))
      } catch {
        throw CommandError.failure("cannot write kernels to \(path): \(error)")
      }
    }
    if arguments.flag("json") {
      console.print(
        JSONValue.object([
          ("kind", .string(kind.rawValue)), ("n", .int(n)), ("length", .int(length)), ("channels", .int(channels)),
          ("max_abs_difference", difference.map(JSONValue.number) ?? .null), ("seconds", .number(seconds)),
        ]).serialized())
    } else {
      console.print("\(kind.rawValue) kernel, N = \(n), L = \(length), H = \(channels): \(formatted(seconds, digits: 4)) s")
      console.print(
        "max |K − C Ā^k B̄| (channel 0): " + (difference.map { formatted($0, digits: 3) } ?? "skipped (too large)"))
    }
  }
}
