// Fails on the last rank only.  Registered with WILL_FAIL: it proves that the shared MPI
// test main turns one rank's failure into the test's failure.
#include <mpi.h>

#include <gtest/gtest.h>

TEST(Harness, FailsOnTheLastRankOnly) {
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_NE(rank, size - 1) << "deliberate failure on the last rank";
}
