// Small functions the generated wrappers call: array extents, byte counts, and the
// two ways a wrapper can fail (an exception inside ftmpi, a call ftmpi does not cover).
#pragma once

#include <mpi.h>

#include <cstdint>

#include "mpi/unsupported.hpp"

namespace ftmpi {

// Sum of values[0..count); 0 for a null array.
[[nodiscard]] long sum_ints(const int* values, long count) noexcept;
// Number of peers of a real communicator: its size, or its remote size for an
// intercommunicator (the extent of MPI_Alltoallw's arrays).
[[nodiscard]] long peer_count(MPI_Comm real) noexcept;
// In- and out-degree of a real communicator with a topology (for neighbourhood
// collectives); 0 without one.
[[nodiscard]] long in_degree(MPI_Comm real) noexcept;
[[nodiscard]] long out_degree(MPI_Comm real) noexcept;
// Number of dimensions of a real Cartesian communicator; 0 otherwise.
[[nodiscard]] long cart_ndims(MPI_Comm real) noexcept;
// Whether this process is the root of a rooted collective on a real communicator (its
// rank is `root`, or `root` is MPI_ROOT on an intercommunicator).
[[nodiscard]] bool is_root(MPI_Comm real, int root) noexcept;
// This process's rank in a real communicator; 0 if it has none.
[[nodiscard]] int comm_rank(MPI_Comm real) noexcept;
// count elements of a real datatype, in bytes; 0 for invalid types.
[[nodiscard]] std::uint64_t type_bytes(long count, MPI_Datatype real) noexcept;

// A call that waits for other ranks and has no non-blocking twin (the communicator
// constructors): `call(context)` is carried out by the hook when one is set (a rank proxy
// sets one that keeps answering checkpoint orders meanwhile), else directly.
using BlockingHook = int (*)(int (*call)(void*), void* context) noexcept;
void set_blocking_hook(BlockingHook hook) noexcept;
int run_blocking(int (*call)(void*), void* context) noexcept;
template <typename F>
int blocking_call(F& call) noexcept {
  return run_blocking([](void* f) noexcept { return (*static_cast<F*>(f))(); }, &call);
}

// Called when an exception escaped the inside of a wrapper (a bug in ftmpi, or memory
// exhausted): reports it on stderr and returns MPI_ERR_INTERN.
int wrapper_failed(const char* call) noexcept;

}  // namespace ftmpi
