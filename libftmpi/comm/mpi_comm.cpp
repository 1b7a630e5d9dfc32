#include "comm/mpi_comm.hpp"

#include "comm/mpi_status.hpp"

#include <climits>

#include <fmt/format.h>

namespace ftmpi {

Status mpi_status(const char* call, int rc) {
  if (rc == MPI_SUCCESS) {
    return {};
  }
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  PMPI_Error_string(rc, text, &length);
  return internal_error(fmt::format("{} failed: {}", call, text));
}

namespace {

class MpiComm final : public Comm {
 public:
  MpiComm(MPI_Comm comm, int rank, int size) : m_comm(comm), m_rank(rank), m_size(size) {}
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;
  MpiComm(MpiComm&&) = delete;
  MpiComm& operator=(MpiComm&&) = delete;
  ~MpiComm() override {
    int finalized = 0;
    PMPI_Finalized(&finalized);
    if (finalized == 0) {
      PMPI_Comm_free(&m_comm);
    }
  }

  [[nodiscard]] int rank() const noexcept override { return m_rank; }
  [[nodiscard]] int size() const noexcept override { return m_size; }

  Status barrier() override { return mpi_status("MPI_Barrier", PMPI_Barrier(m_comm)); }

  Result<bool> any(bool value) override {
    int in = value ? 1 : 0;
    int out = 0;
    FTMPI_RETURN_IF_ERROR(
        mpi_status("MPI_Allreduce", PMPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, m_comm)));
    return out != 0;
  }

  Status sum(std::span<std::int64_t> values) override {
    if (values.size() > static_cast<std::size_t>(INT_MAX)) {
      return invalid_argument("sum over more than INT_MAX values");
    }
    return mpi_status("MPI_Allreduce",
                      PMPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()),
                                     MPI_INT64_T, MPI_SUM, m_comm));
  }

  Status broadcast(std::vector<std::byte>& bytes, int root) override {
    if (root < 0 || root >= m_size) {
      return invalid_argument(fmt::format("broadcast root {} outside 0..{}", root, m_size - 1));
    }
    std::uint64_t count = bytes.size();
    FTMPI_RETURN_IF_ERROR(
        mpi_status("MPI_Bcast", PMPI_Bcast(&count, 1, MPI_UINT64_T, root, m_comm)));
    if (count > static_cast<std::uint64_t>(INT_MAX)) {
      return invalid_argument("broadcast of more than INT_MAX bytes");
    }
    bytes.resize(count);
    return mpi_status("MPI_Bcast",
                      PMPI_Bcast(bytes.data(), static_cast<int>(count), MPI_BYTE, root, m_comm));
  }

 private:
  MPI_Comm m_comm;
  int m_rank;
  int m_size;
};

}  // namespace

Result<std::unique_ptr<Comm>> make_mpi_comm(MPI_Comm parent) {
  int initialized = 0;
  PMPI_Initialized(&initialized);
  if (initialized == 0) {
    return invalid_argument("make_mpi_comm called before MPI_Init");
  }
  MPI_Comm dup = MPI_COMM_NULL;
  FTMPI_RETURN_IF_ERROR(mpi_status("MPI_Comm_dup", PMPI_Comm_dup(parent, &dup)));
  // Errors come back as return codes, never as an abort inside ftmpi's own traffic.
  FTMPI_RETURN_IF_ERROR(
      mpi_status("MPI_Comm_set_errhandler", PMPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN)));
  int rank = 0;
  int size = 0;
  PMPI_Comm_rank(dup, &rank);
  PMPI_Comm_size(dup, &size);
  return std::unique_ptr<Comm>(std::make_unique<MpiComm>(dup, rank, size));
}

}  // namespace ftmpi
