// The public C API, called as C code would call it.
#include <cstring>

#include <gtest/gtest.h>

#include "ftmpi/ftmpi.h"

namespace {

TEST(CApi, VersionMatchesTheHeader) {
  int major = -1;
  int minor = -1;
  int patch = -1;
  EXPECT_EQ(ftmpi_get_version(&major, &minor, &patch), FTMPI_SUCCESS);
  EXPECT_EQ(major, FTMPI_VERSION_MAJOR);
  EXPECT_EQ(minor, FTMPI_VERSION_MINOR);
  EXPECT_EQ(patch, FTMPI_VERSION_PATCH);
  EXPECT_STREQ(ftmpi_version_string(), FTMPI_VERSION_STRING);
}

TEST(CApi, NullPointersAreAllowedForVersionParts) {
  int minor = -1;
  EXPECT_EQ(ftmpi_get_version(nullptr, &minor, nullptr), FTMPI_SUCCESS);
  EXPECT_EQ(minor, FTMPI_VERSION_MINOR);
}

TEST(CApi, StatusStringsCoverEveryCodeAndOutOfRange) {
  EXPECT_STREQ(ftmpi_status_string(FTMPI_SUCCESS), "ok");
  EXPECT_STREQ(ftmpi_status_string(FTMPI_ERR_CORRUPT), "corrupt data");
  EXPECT_STREQ(ftmpi_status_string(-1), "unknown status");
  EXPECT_STREQ(ftmpi_status_string(1000), "unknown status");
  for (int code = FTMPI_SUCCESS; code <= FTMPI_ERR_INTERNAL; ++code) {
    EXPECT_GT(std::strlen(ftmpi_status_string(code)), 0U);
    EXPECT_STRNE(ftmpi_status_string(code), "unknown status");
  }
}

}  // namespace
