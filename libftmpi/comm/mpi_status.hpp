// Turning an MPI return code into a Status (for ftmpi's own PMPI_* calls).
#pragma once

#include <mpi.h>

#include "util/status.hpp"

namespace ftmpi {

// ok for MPI_SUCCESS; otherwise an internal error "CALL failed: <MPI's error string>".
Status mpi_status(const char* call, int rc);

}  // namespace ftmpi
