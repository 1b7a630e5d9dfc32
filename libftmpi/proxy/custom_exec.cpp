#include "proxy/custom_exec.hpp"

#include <algorithm>

#include "proxy/quiesce.hpp"

// Functions named after the MPI call they stand for (NAME_MPI_Call).
// NOLINTBEGIN(readability-identifier-naming)
namespace ftmpi {

AppMpiState& app_mpi_state() noexcept {
  static AppMpiState state;
  return state;
}

// The proxy initialised MPI before it started the application: MPI_Init only records
// that the application got that far.
int exec_custom_MPI_Init(Exec& /*x*/, const std::uint64_t* /*w*/, std::uint64_t& /*result*/) {
  app_mpi_state().initialized = true;
  return MPI_SUCCESS;
}

// Calls reach the proxy one at a time, so MPI_THREAD_SERIALIZED is the most this mode
// provides (MPI lets `provided` be below `required`; docs/transparent.md).
int exec_custom_MPI_Init_thread(Exec& x, const std::uint64_t* w, std::uint64_t& /*result*/) {
  const auto required = static_cast<int>(static_cast<std::int64_t>(w[0]));
  int* provided = x.out<int>(w[1], 1);
  const int level = std::min(required, static_cast<int>(MPI_THREAD_SERIALIZED));
  if (provided != nullptr) {
    *provided = level;
  }
  app_mpi_state().initialized = true;
  app_mpi_state().thread_level = level;
  return x.finish(true) ? MPI_SUCCESS : MPI_ERR_ARG;
}

// The level the application was given, not the proxy's own (MPI_THREAD_MULTIPLE where
// it runs communicator constructors beside its polling).
int exec_custom_MPI_Query_thread(Exec& x, const std::uint64_t* w, std::uint64_t& /*result*/) {
  int* provided = x.out<int>(w[0], 1);
  if (provided != nullptr) {
    *provided = app_mpi_state().thread_level;
  }
  return x.finish(true) ? MPI_SUCCESS : MPI_ERR_ARG;
}

int exec_custom_MPI_Finalize(Exec& /*x*/, const std::uint64_t* /*w*/, std::uint64_t& /*result*/) {
  AppMpiState& state = app_mpi_state();
  if (state.finalized) {
    return MPI_ERR_OTHER;
  }
  state.finalized = true;
  control().stop();  // after the last checkpoint every proxy takes part in
  return MPI_Finalize();
}

// w: comm, keyval, attribute_val (void**), flag (int*), and for a predefined attribute
// the application's slot for its int value.
int exec_custom_MPI_Comm_get_attr(Exec& x, const std::uint64_t* w, std::uint64_t& /*result*/) {
  const auto comm = x.handle<MPI_Comm>(w[0]);
  const auto keyval = static_cast<int>(static_cast<std::int64_t>(w[1]));
  void* value = nullptr;
  int found = 0;
  const int rc = MPI_Comm_get_attr(comm, keyval, &value, &found);
  if (rc != MPI_SUCCESS) {
    return rc;
  }
  int* flag = x.out<int>(w[3], 1);
  if (flag != nullptr) {
    *flag = found;
  }
  if (found != 0) {
    auto* word = x.out<std::uint64_t>(w[2], 1);
    if (w[4] != 0) {
      int* slot_value = x.out<int>(w[4], 1);
      *slot_value = value != nullptr ? *static_cast<int*>(value) : 0;
      *word = w[4];
    } else if (word != nullptr) {
      *word = reinterpret_cast<std::uintptr_t>(value);  // the application's own pointer
    }
  }
  return x.finish(true) ? MPI_SUCCESS : MPI_ERR_ARG;
}

int exec_custom_MPI_Attr_get(Exec& x, const std::uint64_t* w, std::uint64_t& result) {
  return exec_custom_MPI_Comm_get_attr(x, w, result);
}

// NOLINTEND(readability-identifier-naming)
}  // namespace ftmpi
