// The MPI calls whose wrappers are written by hand (flag `custom` in mpi.spec): those
// that start and stop ftmpi's runtime, and those whose meaning MPI_COMM_WORLD's
// remapping changes.
#include <mpi.h>

#include <cstddef>
#include <cstdio>
#include <iterator>

#include "mpi/call_helpers.hpp"
#include "mpi/call_stats.hpp"
#include "mpi/forward.hpp"
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
  if (ftmpi::g_forwarding) {
    // A predefined attribute's value is a pointer to an int MPI owns: the proxy copies
    // the int into this process, into a slot per attribute that lives as long as it.
    static int values[8];
    static constexpr int k_keyvals[] = {MPI_TAG_UB,          MPI_HOST,   MPI_IO,
                                        MPI_WTIME_IS_GLOBAL, MPI_APPNUM, MPI_UNIVERSE_SIZE,
                                        MPI_LASTUSEDCODE};
    int* slot = nullptr;
    for (std::size_t i = 0; i < std::size(k_keyvals); ++i) {
      if (k_keyvals[i] == keyval) {
        slot = &values[i];
      }
    }
    return static_cast<int>(
        ftmpi::forward(ftmpi::CallId::MPI_Comm_get_attr, comm, keyval, value, flag, slot));
  }
  const int rc = PMPI_Comm_get_attr(ftmpi::to_real(comm), keyval, value, flag);
  if (rc == MPI_SUCCESS && *flag == 0 && comm == MPI_COMM_WORLD) {
    return PMPI_Comm_get_attr(MPI_COMM_WORLD, keyval, value, flag);
  }
  return rc;
}

}  // namespace

extern "C" {

int MPI_Init(int* argc, char*** argv) {
  if (ftmpi::g_forwarding) {
    return static_cast<int>(ftmpi::forward(ftmpi::CallId::MPI_Init));
  }
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Init);
  try {
    return start_or_abort(PMPI_Init(argc, argv));
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Init");
  }
}

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
  if (ftmpi::g_forwarding) {
    return static_cast<int>(ftmpi::forward(ftmpi::CallId::MPI_Init_thread, required, provided));
  }
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Init_thread);
  try {
    return start_or_abort(PMPI_Init_thread(argc, argv, required, provided));
  } catch (...) {
    return ftmpi::wrapper_failed("MPI_Init_thread");
  }
}

int MPI_Finalize(void) {
  if (ftmpi::g_forwarding) {
    return static_cast<int>(ftmpi::forward(ftmpi::CallId::MPI_Finalize));
  }
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
  if (ftmpi::g_forwarding) {
    return MPI_SUCCESS;  // profiling control: nothing to do in the application process
  }
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Pcontrol);
  return PMPI_Pcontrol(level);
}

int MPI_Initialized(int* flag) {
  if (ftmpi::g_forwarding) {
    *flag = ftmpi::forwarding_initialized() ? 1 : 0;
    return MPI_SUCCESS;
  }
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Initialized);
  return PMPI_Initialized(flag);
}

int MPI_Finalized(int* flag) {
  if (ftmpi::g_forwarding) {
    *flag = ftmpi::forwarding_finalized() ? 1 : 0;
    return MPI_SUCCESS;
  }
  ftmpi::CallScope scope(ftmpi::CallId::MPI_Finalized);
  return PMPI_Finalized(flag);
}

}  // extern "C"
