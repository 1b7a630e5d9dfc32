#include <gtest/gtest.h>

#include "util/log.hpp"

namespace ftmpi {
namespace {

TEST(Log, ParsesEveryDocumentedLevel) {
  spdlog::level::level_enum level = spdlog::level::info;
  EXPECT_TRUE(parse_log_level("debug", level));
  EXPECT_EQ(level, spdlog::level::debug);
  EXPECT_TRUE(parse_log_level("error", level));
  EXPECT_EQ(level, spdlog::level::err);
  EXPECT_TRUE(parse_log_level("off", level));
  EXPECT_EQ(level, spdlog::level::off);
}

TEST(Log, RefusesUnknownLevelsAndKeepsTheOldOne) {
  spdlog::level::level_enum level = spdlog::level::warn;
  EXPECT_FALSE(parse_log_level("verbose", level));
  EXPECT_FALSE(parse_log_level("", level));
  EXPECT_EQ(level, spdlog::level::warn);
}

TEST(Log, LoggersAreSharedAndFollowTheGlobalLevel) {
  auto a = logger("unit");
  auto b = logger("unit");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(a->name(), "ftmpi-unit");
  set_log_level(spdlog::level::err);
  EXPECT_EQ(a->level(), spdlog::level::err);
  EXPECT_EQ(logger("later")->level(), spdlog::level::err);
  set_log_level(spdlog::level::info);
}

}  // namespace
}  // namespace ftmpi
