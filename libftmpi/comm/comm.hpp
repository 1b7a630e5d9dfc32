// Comm: the thin communicator interface ftmpi's own components talk through, so that
// the trace writer, the predictor and most unit tests build and run without mpirun.
// Two implementations: SerialComm (one process) and MpiComm (a private duplicate of an
// MPI communicator, driven through PMPI_* so ftmpi's own traffic never passes through
// ftmpi's wrappers).
//
// All operations are collective over the communicator unless marked otherwise, and
// return a Status instead of throwing.  A Comm is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

class Comm {
 public:
  Comm() = default;
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;
  Comm(Comm&&) = delete;
  Comm& operator=(Comm&&) = delete;
  virtual ~Comm();

  // This process's rank and the number of processes; local, never fail.
  [[nodiscard]] virtual int rank() const noexcept = 0;
  [[nodiscard]] virtual int size() const noexcept = 0;

  virtual Status barrier() = 0;
  // Logical OR of `value` over all ranks: how ranks agree on an error before they branch.
  virtual Result<bool> any(bool value) = 0;
  // Element-wise sum of `values` over all ranks, in place.  Exact (integers).
  virtual Status sum(std::span<std::int64_t> values) = 0;
  // Copies `bytes` from `root` to every rank; non-roots' vectors are resized.
  virtual Status broadcast(std::vector<std::byte>& bytes, int root) = 0;
};

// A communicator of one process.
std::unique_ptr<Comm> make_serial_comm();

}  // namespace ftmpi
