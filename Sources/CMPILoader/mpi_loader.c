// Exports: sml_mpi_load.
#include "CMPILoader.h"

#include <dlfcn.h>
#include <stdio.h>

static const char *const library_names[] = {"libmpi.so.40", "libmpi.so"};

int sml_mpi_load(sml_mpi_api *api, char *error, size_t capacity) {
  void *library = NULL;
  for (size_t i = 0; i < sizeof library_names / sizeof library_names[0] && library == NULL; i++) {
    library = dlopen(library_names[i], RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) snprintf(error, capacity, "%s", dlerror());
  }
  if (library == NULL) return -1;
  struct {
    const char *name;
    void **slot;
  } symbols[] = {
      {"MPI_Init_thread", (void **)&api->init_thread},
      {"MPI_Initialized", (void **)&api->initialized},
      {"MPI_Finalized", (void **)&api->finalized},
      {"MPI_Finalize", (void **)&api->finalize},
      {"MPI_Comm_rank", (void **)&api->comm_rank},
      {"MPI_Comm_size", (void **)&api->comm_size},
      {"MPI_Comm_set_errhandler", (void **)&api->comm_set_errhandler},
      {"MPI_Error_string", (void **)&api->error_string},
      {"MPI_Test", (void **)&api->test},
      {"MPI_Ibarrier", (void **)&api->ibarrier},
      {"MPI_Ibcast", (void **)&api->ibcast},
      {"MPI_Iallreduce", (void **)&api->iallreduce},
      {"MPI_Iallgather", (void **)&api->iallgather},
      {"MPI_Igatherv", (void **)&api->igatherv},
      {"ompi_mpi_comm_world", &api->comm_world},
      {"ompi_mpi_float", &api->type_float},
      {"ompi_mpi_double", &api->type_double},
      {"ompi_mpi_byte", &api->type_byte},
      {"ompi_mpi_int", &api->type_int},
      {"ompi_mpi_op_sum", &api->op_sum},
      {"ompi_mpi_errors_return", &api->errors_return},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
    *symbols[i].slot = dlsym(library, symbols[i].name);
    if (*symbols[i].slot == NULL) {
      snprintf(error, capacity, "%s has no symbol %s (not Open MPI?)", library_names[0], symbols[i].name);
      return -1;
    }
  }
  return 0;
}
