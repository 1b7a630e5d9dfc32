// MpiComm: Comm over a private duplicate of an MPI communicator.
#pragma once

#include <memory>

#include <mpi.h>

#include "comm/comm.hpp"

namespace ftmpi {

// Duplicates `parent` (collective over it) and returns a Comm over the duplicate, which
// is freed with the Comm.  MPI must be initialised and must outlive the Comm.
Result<std::unique_ptr<Comm>> make_mpi_comm(MPI_Comm parent);

}  // namespace ftmpi
