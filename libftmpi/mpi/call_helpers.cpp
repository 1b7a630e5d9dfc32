#include "mpi/call_helpers.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace ftmpi {

long sum_ints(const int* values, long count) noexcept {
  long sum = 0;
  for (long i = 0; values != nullptr && i < count; ++i) {
    sum += values[i];
  }
  return sum;
}

long peer_count(MPI_Comm real) noexcept {
  int inter = 0;
  int size = 0;
  if (PMPI_Comm_test_inter(real, &inter) != MPI_SUCCESS) {
    return 0;
  }
  const int rc = inter != 0 ? PMPI_Comm_remote_size(real, &size) : PMPI_Comm_size(real, &size);
  return rc == MPI_SUCCESS ? size : 0;
}

namespace {

void degrees(MPI_Comm real, int& in, int& out) noexcept {
  in = 0;
  out = 0;
  int topology = MPI_UNDEFINED;
  if (PMPI_Topo_test(real, &topology) != MPI_SUCCESS) {
    return;
  }
  if (topology == MPI_CART) {
    int ndims = 0;
    PMPI_Cartdim_get(real, &ndims);
    in = out = 2 * ndims;
  } else if (topology == MPI_GRAPH) {
    int rank = 0;
    int count = 0;
    PMPI_Comm_rank(real, &rank);
    PMPI_Graph_neighbors_count(real, rank, &count);
    in = out = count;
  } else if (topology == MPI_DIST_GRAPH) {
    int weighted = 0;
    PMPI_Dist_graph_neighbors_count(real, &in, &out, &weighted);
  }
}

}  // namespace

long in_degree(MPI_Comm real) noexcept {
  int in = 0;
  int out = 0;
  degrees(real, in, out);
  return in;
}

long out_degree(MPI_Comm real) noexcept {
  int in = 0;
  int out = 0;
  degrees(real, in, out);
  return out;
}

long cart_ndims(MPI_Comm real) noexcept {
  int ndims = 0;
  return PMPI_Cartdim_get(real, &ndims) == MPI_SUCCESS ? ndims : 0;
}

bool is_root(MPI_Comm real, int root) noexcept {
  int inter = 0;
  if (PMPI_Comm_test_inter(real, &inter) == MPI_SUCCESS && inter != 0) {
    return root == MPI_ROOT;
  }
  return comm_rank(real) == root;
}

int comm_rank(MPI_Comm real) noexcept {
  int rank = 0;
  return PMPI_Comm_rank(real, &rank) == MPI_SUCCESS ? rank : 0;
}

std::uint64_t type_bytes(long count, MPI_Datatype real) noexcept {
  int size = 0;
  if (count <= 0 || real == MPI_DATATYPE_NULL || PMPI_Type_size(real, &size) != MPI_SUCCESS ||
      size < 0) {
    return 0;
  }
  return static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(size);
}

namespace {
std::atomic<BlockingHook> g_blocking_hook{nullptr};
}  // namespace

void set_blocking_hook(BlockingHook hook) noexcept {
  g_blocking_hook.store(hook, std::memory_order_release);
}

int run_blocking(int (*call)(void*), void* context) noexcept {
  const BlockingHook hook = g_blocking_hook.load(std::memory_order_acquire);
  return hook != nullptr ? hook(call, context) : call(context);
}

int wrapper_failed(const char* call) noexcept {
  const char* what = "unknown exception";
  try {
    throw;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {  // NOLINT(bugprone-empty-catch): keep the generic text
  }
  std::fprintf(stderr, "ftmpi: internal error in %s: %s\n", call, what);
  return MPI_ERR_INTERN;
}

void unsupported_call(const char* call) noexcept {
  std::fprintf(stderr,
               "ftmpi: %s is not supported by ftmpi; the job stops here.\n"
               "ftmpi: docs/interposition.md lists the MPI calls ftmpi covers; run without "
               "ftmpi (plain mpirun) if the program needs %s.\n",
               call, call);
  std::fflush(stderr);
  int initialized = 0;
  int finalized = 0;
  PMPI_Initialized(&initialized);
  PMPI_Finalized(&finalized);
  if (initialized != 0 && finalized == 0) {
    PMPI_Abort(MPI_COMM_WORLD, 1);
  }
  std::_Exit(1);
}

}  // namespace ftmpi
