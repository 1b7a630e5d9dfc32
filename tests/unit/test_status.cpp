#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "util/scope_guard.hpp"
#include "util/status.hpp"

namespace ftmpi {
namespace {

TEST(Status, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::ok);
  EXPECT_EQ(status.to_string(), "ok");
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  const Status status = not_found("checkpoint ckpt.3 is missing");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::not_found);
  EXPECT_EQ(status.to_string(), "not found: checkpoint ckpt.3 is missing");
}

TEST(Status, ContextIsPrefixedToErrorsOnly) {
  Status error = corrupt("bad checksum");
  error.with_context("reading manifest");
  EXPECT_EQ(error.message(), "reading manifest: bad checksum");
  Status fine;
  fine.with_context("reading manifest");
  EXPECT_TRUE(fine.message().empty());
}

TEST(Status, ErrnoStatusNamesTheSystemError) {
  const Status status = errno_status("open /x", ENOENT);
  EXPECT_EQ(status.code(), StatusCode::io_error);
  EXPECT_EQ(status.message(), "open /x: No such file or directory");
}

TEST(Status, CodesMatchTheCApi) {
  EXPECT_EQ(static_cast<int>(StatusCode::internal), FTMPI_ERR_INTERNAL);
  EXPECT_EQ(static_cast<int>(StatusCode::invalid_argument), FTMPI_ERR_INVALID_ARGUMENT);
}

Result<int> parse_positive(int value) {
  if (value <= 0) {
    return invalid_argument("not positive");
  }
  return value;
}

Status twice(int value, int& out) {
  auto parsed = parse_positive(value);
  FTMPI_RETURN_IF_ERROR(parsed.status());
  out = 2 * parsed.value();
  return {};
}

TEST(Result, HoldsValueOrStatus) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 3);
  EXPECT_TRUE(good.status().ok());
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::invalid_argument);
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, ReturnIfErrorPropagates) {
  int out = 0;
  EXPECT_TRUE(twice(4, out).ok());
  EXPECT_EQ(out, 8);
  out = 0;
  EXPECT_EQ(twice(0, out).code(), StatusCode::invalid_argument);
  EXPECT_EQ(out, 0);
}

TEST(ScopeGuard, RunsOnExitUnlessCancelled) {
  int runs = 0;
  {
    ScopeGuard guard([&runs] { ++runs; });
  }
  EXPECT_EQ(runs, 1);
  {
    ScopeGuard guard([&runs] { ++runs; });
    guard.cancel();
  }
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace ftmpi
