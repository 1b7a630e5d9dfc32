// This process's libmpi and MPI's predefined objects.  In transparent mode the
// application and its proxy load the same libmpi; a predefined handle (&ompi_mpi_int,
// MPI_COMM_WORLD, a predefined callback) crosses between the two processes as its index
// in the generated table of predefined symbols.
#pragma once

#include <cstddef>
#include <cstdint>

#include "channel/channel.hpp"

namespace ftmpi {

// pid 0, the size and inode of the loaded libmpi (zeros if it cannot be found) and the
// addresses of the predefined symbols.
AppIdentity local_mpi_library() noexcept;

// The generated list (mpi_predefined.cpp).
const char* const* predefined_symbols(std::size_t& count) noexcept;

}  // namespace ftmpi
