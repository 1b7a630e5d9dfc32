// The MPI calls whose wrappers are written by hand (flag `custom` in mpi.spec): those
// that start and stop ftmpi's runtime, and those whose meaning MPI_COMM_WORLD's
// remapping changes.
#include <mpi.h>

#include <cstdio>

#include "mpi/call_helpers.hpp"
#include "mpi/call_stats.hpp"
#include "mpi/handles.hpp"
#include "mpi/runtime.hpp"

namespace {

int start_or_abort(int rc) {
  if (rc != MPI_SUCCESS) {
    return rc;
  }
  const ftmpi::Status status = ftmpi::runtime_start();
  if (!status.ok()) {
    std::fprintf(stderr, "ftmpi: cannot start: %s\n", status.message().c_str());
    PMPI_Abort(MPI_COMM_WORLD, 1);
  }
  return rc;
}

// Predefined attributes (MPI_TAG_UB, MPI_HOST, MPI_UNIVERSE_SIZE, ...) live on the real
// MPI_COMM_WORLD, not on the communicator that stands for it.  (MPI_UNIVERSE_SIZE counts
// slots, which the hidden predictor rank does not change.)
int get_attribute(MPI_Comm comm, int keyval, void* value, int* flag) {
  const int rc = PMPI_Comm_get_attr(ftmpi::to_real(comm), keyval, value, flag);
  if (rc == MPI_SUCCESS && *flag == 0 && comm == MPI_COMM_WORLD) {
    return PMPI_Comm_get_attr(MPI_COMM_WORLD, keyval, value, flag);
  }
  return rc;
}

}  // namespace

extern "C" {

int MPI_Init(int* argc, char*** argv) {
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Init);
  try {
    return start_or_abort(PMPI_Init(argc, argv));
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Init");
  }
}

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Init_thread);
  try {
    return start_or_abort(PMPI_Init_thread(argc, argv, required, provided));
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Init_thread");
  }
}

int MPI_Finalize(void) {
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Finalize);
  try {
    const ftmpi::Status status = ftmpi::runtime_stop();
    if (!status.ok()) {
      std::fprintf(stderr, "ftmpi: while finalizing: %s\n", status.message().c_str());
    }
    return PMPI_Finalize();
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Finalize");
  }
}

int MPI_Comm_get_attr(MPI_Comm comm, int comm_keyval, void* attribute_val, int* flag) {
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Comm_get_attr);
  try {
    return get_attribute(comm, comm_keyval, attribute_val, flag);
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Comm_get_attr");
  }
}

int MPI_Attr_get(MPI_Comm comm, int keyval, void* attribute_val, int* flag) {
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Attr_get);
  try {
    return get_attribute(comm, keyval, attribute_val, flag);
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Attr_get");
  }
}

int MPI_Pcontrol(const int level, ...) {
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Pcontrol);
  return PMPI_Pcontrol(level);
}

}  // extern "C"
