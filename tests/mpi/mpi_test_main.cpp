// The main of every multi-rank test: initialises MPI, runs the GoogleTest cases on every
// rank, prints results from rank 0 only (other ranks report their own failures), then
// reduces the failure flag over all ranks so that the test fails if any rank failed.
#include <mpi.h>

#include <cstdio>

#include <gtest/gtest.h>

namespace {

// Prints only failures (with the rank) on ranks other than 0.
class RankFailurePrinter final : public testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : m_rank(rank) {}
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (result.failed()) {
      std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", m_rank,
                   result.file_name() != nullptr ? result.file_name() : "?", result.line_number(),
                   result.summary());
    }
  }

 private:
  int m_rank;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
    std::fprintf(stderr, "mpi_test_main: MPI_Init failed\n");
    return 1;
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));  // gtest takes ownership
  }

  const int local_failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&local_failed, &any_failed, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
  if (rank == 0 && any_failed != 0 && local_failed == 0) {
    std::fprintf(stderr, "mpi_test_main: a test failed on another rank (see above)\n");
  }
  MPI_Finalize();
  return any_failed;
}
