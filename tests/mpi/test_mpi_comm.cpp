// MpiComm against values computed independently on each rank.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "comm/mpi_comm.hpp"

namespace {

int world_size() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}
int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

TEST(MpiComm, RankAndSizeMatchTheParent) {
  auto comm = ftmpi::make_mpi_comm(MPI_COMM_WORLD);
  ASSERT_TRUE(comm.ok()) << comm.status().to_string();
  EXPECT_EQ(comm.value()->rank(), world_rank());
  EXPECT_EQ(comm.value()->size(), world_size());
  EXPECT_TRUE(comm.value()->barrier().ok());
}

TEST(MpiComm, AnyIsTrueIfOneRankSaysSo) {
  auto comm = ftmpi::make_mpi_comm(MPI_COMM_WORLD);
  ASSERT_TRUE(comm.ok());
  auto none = comm.value()->any(false);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value());
  auto last = comm.value()->any(world_rank() == world_size() - 1);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last.value());
}

TEST(MpiComm, SumIsExactOverRanks) {
  auto comm = ftmpi::make_mpi_comm(MPI_COMM_WORLD);
  ASSERT_TRUE(comm.ok());
  const std::int64_t big = std::int64_t{1} << 40;
  std::vector<std::int64_t> values{world_rank() + 1, big, -world_rank()};
  ASSERT_TRUE(comm.value()->sum(values).ok());
  const std::int64_t n = world_size();
  EXPECT_EQ(values[0], n * (n + 1) / 2);
  EXPECT_EQ(values[1], n * big);
  EXPECT_EQ(values[2], -(n * (n - 1) / 2));
}

TEST(MpiComm, BroadcastCopiesRootBytesToAll) {
  auto comm = ftmpi::make_mpi_comm(MPI_COMM_WORLD);
  ASSERT_TRUE(comm.ok());
  const int root = world_size() - 1;
  std::vector<std::byte> bytes;
  if (world_rank() == root) {
    for (int i = 0; i < 1000; ++i) {
      bytes.push_back(static_cast<std::byte>(i * 7));
    }
  }
  ASSERT_TRUE(comm.value()->broadcast(bytes, root).ok());
  ASSERT_EQ(bytes.size(), 1000U);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(bytes[static_cast<std::size_t>(i)], static_cast<std::byte>(i * 7));
  }
}

TEST(MpiComm, BroadcastFromAnInvalidRootIsRefused) {
  auto comm = ftmpi::make_mpi_comm(MPI_COMM_WORLD);
  ASSERT_TRUE(comm.ok());
  std::vector<std::byte> bytes(4);
  const auto status = comm.value()->broadcast(bytes, world_size());
  EXPECT_EQ(status.code(), ftmpi::StatusCode::invalid_argument);
}

}  // namespace
