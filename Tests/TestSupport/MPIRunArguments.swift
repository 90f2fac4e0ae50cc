import Foundation

/// The `mpirun` options every test launch uses: two or more ranks on this machine, oversubscribed, as root,
/// over shared memory and loopback TCP only; under AddressSanitizer also `-x ASAN_OPTIONS=…:detect_leaks=0`.
///
/// Open MPI keeps allocations of the plug-ins it unloads at `MPI_Finalize`, which LeakSanitizer reports at exit
/// as leaks of unknown modules and turns into exit status 1; the ranks therefore run with leak detection off and
/// every address check on. Outside a sanitizer run the environment is passed unchanged.
public func mpirunArguments(ranks: Int) -> [String] {
  var arguments = [
    "--oversubscribe", "--allow-run-as-root", "-np", "\(ranks)", "--mca", "btl", "self,vader,tcp", "--mca",
    "btl_tcp_if_include", "lo",
  ]
  if let options = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] {
    arguments += ["-x", "ASAN_OPTIONS=\(options):detect_leaks=0"]
  }
  return arguments
}
