#ifndef CMPILOADER_H
#define CMPILOADER_H

#include <stddef.h>
#include <stdint.h>

// Open MPI's C interface, loaded at run time with dlopen/dlsym so that no MPI header or library is needed to
// build. Handles (communicator, datatype, operation, error handler, request) are opaque pointers: in Open MPI
// MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ... are the addresses of the global objects ompi_mpi_comm_world,
// ompi_mpi_float, ompi_mpi_op_sum, ...

typedef void *sml_mpi_handle;

// Open MPI's values of the thread levels, MPI_IN_PLACE and MPI_STATUS_IGNORE (mpi.h of Open MPI 4.x).
#define SML_MPI_THREAD_SERIALIZED 2
#define SML_MPI_IN_PLACE ((void *)1)
#define SML_MPI_MAX_ERROR_STRING 256

/// The MPI entry points and predefined objects StructuredML uses.
typedef struct {
  int (*init_thread)(int *argc, char ***argv, int required, int *provided);
  int (*initialized)(int *flag);
  int (*finalized)(int *flag);
  int (*finalize)(void);
  int (*comm_rank)(sml_mpi_handle comm, int *rank);
  int (*comm_size)(sml_mpi_handle comm, int *size);
  int (*comm_set_errhandler)(sml_mpi_handle comm, sml_mpi_handle handler);
  int (*error_string)(int code, char *text, int *length);
  int (*test)(sml_mpi_handle *request, int *flag, void *status);
  int (*ibarrier)(sml_mpi_handle comm, sml_mpi_handle *request);
  int (*ibcast)(void *buffer, int count, sml_mpi_handle type, int root, sml_mpi_handle comm,
                sml_mpi_handle *request);
  int (*iallreduce)(const void *send, void *receive, int count, sml_mpi_handle type, sml_mpi_handle op,
                    sml_mpi_handle comm, sml_mpi_handle *request);
  int (*iallgather)(const void *send, int sendCount, sml_mpi_handle sendType, void *receive, int receiveCount,
                    sml_mpi_handle receiveType, sml_mpi_handle comm, sml_mpi_handle *request);
  int (*igatherv)(const void *send, int sendCount, sml_mpi_handle sendType, void *receive,
                  const int *receiveCounts, const int *displacements, sml_mpi_handle receiveType, int root,
                  sml_mpi_handle comm, sml_mpi_handle *request);
  sml_mpi_handle comm_world;
  sml_mpi_handle type_float;
  sml_mpi_handle type_double;
  sml_mpi_handle type_byte;
  sml_mpi_handle type_int;
  sml_mpi_handle op_sum;
  sml_mpi_handle errors_return;
} sml_mpi_api;

/// Opens the first of `libmpi.so.40`, `libmpi.so` that loads (RTLD_NOW | RTLD_GLOBAL, which Open MPI's plug-ins
/// need) and fills `api`. Returns 0, or -1 with the loader's message in `error` (at most `capacity` bytes).
int sml_mpi_load(sml_mpi_api *api, char *error, size_t capacity);

/// Makes SIGTERM, which mpirun sends to every rank once one of them has died, name the dead rank: from now on
/// the handler looks for a rank among `pids` (rank order; 0 for a rank on another host) whose process is gone,
/// and if it finds one writes "structml: rank N failed: ..." to standard error, calls `cleanup` (async-signal
/// safe, may be NULL) and exits with status 1; otherwise it passes the signal to the handler installed before.
/// `pids` is copied (at most SML_MPI_WATCHED_RANKS entries). Returns 0, or -1 if sigaction failed.
int sml_mpi_watch_peers(const int32_t *pids, int count, int self_rank, void (*cleanup)(void));

/// The lowest rank among the watched ones whose process no longer exists, or -1.
int sml_mpi_first_dead_peer(void);

#define SML_MPI_WATCHED_RANKS 4096

#endif
