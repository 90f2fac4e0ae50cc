import Foundation
import StateSpaces
import TensorCore
import TensorFiles

/// `structml ssm kernel`: an S4, S4D or RTF kernel, its agreement with the power series and its time.
///
/// The reported time has two parts, the setup (for S4 the O(N³) DPLR decomposition and the C̃ correction) and
/// the kernel itself; `seconds` is their sum. S4 state sizes above
/// ``KernelWorkload/largestDefaultS4Order`` are refused unless `--allow-large-setup` is given, and sizes whose
/// memory estimate exceeds the machine's memory are refused before anything is allocated.
enum SSMKernelCommand {
  static let command = Command(
    path: ["ssm", "kernel"],
    summary: "compute an S4, S4D or RTF kernel and check it against the naive power series C Ā^k B̄",
    options: [
      .value("kind", "KIND", "s4, s4d or rtf (default s4)"), StateSpaceCommandSupport.orderOption,
      .value("length", "L", "kernel length (default 1024)"), .value("channels", "H", "channels (default 1)"),
      .output("output", "K.npy", "write the H × L kernels"),
      .flag(
        "allow-large-setup",
        "run S4 above N = \(KernelWorkload.largestDefaultS4Order) (O(N³) setup: minutes at N = 4096)"),
    ]
  ) { arguments, console in
    let kind = KernelWorkload.Kind(rawValue: try arguments.choice("kind", ["s4", "s4d", "rtf"], default: "s4")!)!
    let n = try StateSpaceCommandSupport.order(arguments)
    let length = try arguments.int("length", default: 1024, in: 1...(1 << 24))!
    let channels = try arguments.int("channels", default: 1, in: 1...65536)!
    let outputPath = arguments.string("output")
    if kind == .s4, n > KernelWorkload.largestDefaultS4Order, !arguments.flag("allow-large-setup") {
      throw CommandError.usage(
        "--kind s4 --n \(n): the O(N³) setup takes minutes above N = \(KernelWorkload.largestDefaultS4Order) "
          + "(about \(formatted(estimatedS4SetupSeconds(order: n, length: length), digits: 2)) s on one core); "
          + "pass --allow-large-setup to run it")
    }
    try MemoryBudget.require(
      KernelWorkload.estimatedBytes(
        kind: kind, order: n, length: length, channels: channels, writesOutput: outputPath != nil),
      for: "--kind \(kind.rawValue) --n \(n) --length \(length) --channels \(channels)", error: CommandError.usage)
    let progress = ProgressBar(console: console, total: 2 * channels, label: "ssm kernel")
    let workload = try StateSpaceCommandSupport.run {
      try KernelWorkload(kind: kind, order: n, length: length, channels: channels) { stage in
        progress.update(0, item: "setup: \(stage)")
      }
    }
    progress.update(channels / 2, item: "kernels")
    let start = DispatchTime.now().uptimeNanoseconds
    let kernels = try StateSpaceCommandSupport.run {
      try workload.kernels { done in progress.update(channels + done, item: "kernels") }
    }
    let kernelSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    progress.update(2 * channels, item: "power-series check")
    let difference = try StateSpaceCommandSupport.run { try workload.powerSeriesDifference(kernels) }
    progress.finish()
    if let index = kernels.firstIndex(where: { !$0.isFinite }) {
      throw CommandError.failure(
        "\(kind.rawValue) kernel: tap \(index % length) of channel \(index / length) is \(kernels[index]) "
          + "(the parameters overflow Double)")
    }
    if outputPath != nil {
      try OutputPaths.write("output", of: arguments) { url, inputs in
        let data = try TensorData(Tensor<Double>(shape: [channels, length], scalars: kernels))
        try NPYFile.write(data, to: url, protectedInputs: inputs)
      }
    }
    let totalSeconds = workload.setupSeconds + kernelSeconds
    if arguments.flag("json") {
      var members: [(String, JSONValue)] = [
        ("kind", .string(kind.rawValue)), ("n", .int(n)), ("length", .int(length)), ("channels", .int(channels)),
      ]
      // Present only when the check ran (it is skipped above N²·L = 2·10⁹), never null.
      members.append(("check_skipped", .bool(difference == nil)))
      if let difference { members.append(("max_abs_difference", .number(difference))) }
      members += [
        ("setup_seconds", .number(workload.setupSeconds)), ("kernel_seconds", .number(kernelSeconds)),
        ("seconds", .number(totalSeconds)),
      ]
      console.print(JSONValue.object(members).serialized())
    } else {
      console.print(
        "\(kind.rawValue) kernel, N = \(n), L = \(length), H = \(channels): \(formatted(totalSeconds, digits: 4)) s "
          + "(setup \(formatted(workload.setupSeconds, digits: 4)) s + kernels \(formatted(kernelSeconds, digits: 4)) s)")
      console.print(
        "max |K − C Ā^k B̄| (channel 0): " + (difference.map { formatted($0, digits: 3) } ?? "skipped (too large)"))
    }
  }

  /// A rough single-core estimate of the S4 setup: `(9·(2N)³ + 4N³·log₂ L)` flops at 5·10⁹ flop/s.
  static func estimatedS4SetupSeconds(order: Int, length: Int) -> Double {
    let n = Double(order)
    return (9 * 8 * n * n * n + 4 * n * n * n * log2(Double(max(length, 2)))) / 5e9
  }
}
