// The rank proxy's executors for the calls whose wrappers are hand-written (flag
// `custom` in mpi.spec), and small helpers the generated executors use.
#pragma once

#include <mpi.h>

#include <cstdint>

#include "mpi/handles.hpp"
#include "proxy/exec.hpp"

// Functions named after the MPI call they stand for (NAME_MPI_Call).
// NOLINTBEGIN(readability-identifier-naming)
namespace ftmpi {

int exec_custom_MPI_Init(Exec& x, const std::uint64_t* w, std::uint64_t& result);
int exec_custom_MPI_Init_thread(Exec& x, const std::uint64_t* w, std::uint64_t& result);
int exec_custom_MPI_Query_thread(Exec& x, const std::uint64_t* w, std::uint64_t& result);
int exec_custom_MPI_Finalize(Exec& x, const std::uint64_t* w, std::uint64_t& result);
int exec_custom_MPI_Comm_get_attr(Exec& x, const std::uint64_t* w, std::uint64_t& result);
int exec_custom_MPI_Attr_get(Exec& x, const std::uint64_t* w, std::uint64_t& result);

// The real datatypes behind an array of (virtual) ones, for buffer spans.
inline const MPI_Datatype* real_types(Exec& x, const MPI_Datatype* types, long count) {
  if (types == nullptr) {
    return nullptr;
  }
  auto* real = x.scratch<MPI_Datatype>(count);
  for (long i = 0; i < count; ++i) {
    real[i] = to_real(types[i]);
  }
  return real;
}

// What the proxy knows of its application's MPI life.
struct AppMpiState {
  bool initialized = false;              // the application called MPI_Init
  bool finalized = false;                // ... and MPI_Finalize
  int thread_level = MPI_THREAD_SINGLE;  // what its MPI_Init or MPI_Init_thread gave it
};
AppMpiState& app_mpi_state() noexcept;

// NOLINTEND(readability-identifier-naming)
}  // namespace ftmpi
