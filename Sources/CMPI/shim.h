// CMPI: the C boundary to Open MPI. No stable API: only KMeansMPI imports it.
// Open MPI's handles (MPI_COMM_WORLD, MPI_DOUBLE, MPI_SUM, ...) are macros that take the
// address of global structs, which Swift cannot import: these inline functions return them.
#ifndef SWIFT_KMEANS_CMPI_SHIM_H
#define SWIFT_KMEANS_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm kmeans_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype kmeans_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype kmeans_mpi_int(void) { return MPI_INT; }
static inline MPI_Op kmeans_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Errhandler kmeans_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int kmeans_mpi_success(void) { return MPI_SUCCESS; }
static inline void *kmeans_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int kmeans_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int kmeans_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
