import Foundation

/// The process group a program runs in, chosen once from its environment.
///
/// A process that `mpirun` started (Open MPI sets `OMPI_COMM_WORLD_SIZE`; PMIx launchers set `PMIX_RANK`) joins
/// the job's ``MPIProcessGroup``, with MPI loaded at run time; any other process is a ``SingleProcessGroup``,
/// and MPI is neither needed nor touched. Under `mpirun` without a loadable MPI library the choice fails with
/// ``DistributedError/libraryUnavailable(library:reason:)`` rather than running ranks that do not know each
/// other.
public enum ProcessGroups {
  /// The environment variables whose presence means "started by an MPI launcher".
  public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK"]

  /// The environment variable that sets ``MPIProcessGroup/timeout`` in seconds (default 600).
  public static let timeoutVariable = "STRUCTML_COLLECTIVE_TIMEOUT"

  /// Whether `environment` is that of a process started by an MPI launcher.
  public static func isLaunchedByMPI(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> Bool
  {
    launcherVariables.contains { environment[$0] != nil }
  }

  /// The group of this process: the MPI world under `mpirun`, otherwise a group of one. Every call returns
  /// the same MPI group; call it on every rank.
  public static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    throws(DistributedError) -> any ProcessGroup
  {
    guard isLaunchedByMPI(environment) else { return SingleProcessGroup() }
    let timeout = environment[timeoutVariable].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 600
    return try MPIProcessGroup.world(timeout: timeout)
  }
}
