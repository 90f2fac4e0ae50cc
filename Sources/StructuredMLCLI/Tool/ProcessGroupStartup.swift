import Distributed

/// What `structml` does once, before any command, when `mpirun` started it: joins the MPI job, makes a rank
/// that died be named by the others (``MPIProcessGroup/reportFailedRanksOnTermination()``), and checks that
/// every rank was given the same arguments. Outside `mpirun` it does nothing.
enum ProcessGroupStartup {
  /// Joins the job; returns the error to print (every rank of a job with differing arguments gets one).
  static func join(arguments: [String]) -> DistributedError? {
    guard ProcessGroups.isLaunchedByMPI() else { return nil }
    do throws(DistributedError) {
      let group = try ProcessGroups.current()
      (group as? MPIProcessGroup)?.reportFailedRanksOnTermination()
      try group.checkArgumentsAgree(arguments)
      return nil
    } catch {
      return error
    }
  }
}
