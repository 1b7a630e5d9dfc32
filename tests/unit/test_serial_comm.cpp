#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "comm/comm.hpp"

namespace ftmpi {
namespace {

TEST(SerialComm, IsOneProcess) {
  auto comm = make_serial_comm();
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->size(), 1);
  EXPECT_TRUE(comm->barrier().ok());
}

TEST(SerialComm, CollectivesAreIdentities) {
  auto comm = make_serial_comm();
  auto any = comm->any(true);
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any.value());
  std::vector<std::int64_t> values{3, -4};
  ASSERT_TRUE(comm->sum(values).ok());
  EXPECT_EQ(values, (std::vector<std::int64_t>{3, -4}));
  std::vector<std::byte> bytes{std::byte{1}, std::byte{2}};
  ASSERT_TRUE(comm->broadcast(bytes, 0).ok());
  EXPECT_EQ(bytes.size(), 2U);
  EXPECT_EQ(comm->broadcast(bytes, 1).code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace ftmpi
