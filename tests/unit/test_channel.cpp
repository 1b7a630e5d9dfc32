// The channel between an application and its rank proxy: whether the application sees
// a proxy serving it, when a proxy takes the channel over (a migration's new proxy:
// the same file) and when a restart puts a new file at its path (an application of an
// earlier run that outlived it must see no proxy, not the new one).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "channel/channel.hpp"

namespace {

// In the test's scratch folder (its working directory).
std::string scratch_path(const char* name) {
  return (std::filesystem::current_path() / (std::string(name) + ".channel")).string();
}

TEST(Channel, TheApplicationSeesItsProxy) {
  const std::string path = scratch_path("alive");
  auto proxy = ftmpi::Channel::create(path);
  ASSERT_TRUE(proxy.ok()) << proxy.status().message();
  auto app = ftmpi::Channel::open(path);
  ASSERT_TRUE(app.ok()) << app.status().message();
  EXPECT_TRUE(app.value().proxy_alive());
  { auto gone = std::move(proxy.value()); }
  EXPECT_FALSE(app.value().proxy_alive());
  std::remove(path.c_str());
}

TEST(Channel, ANewProxyTakingTheFileOverServesTheSameApplication) {
  const std::string path = scratch_path("takeover");
  auto first = ftmpi::Channel::create(path);
  ASSERT_TRUE(first.ok());
  auto app = ftmpi::Channel::open(path);
  ASSERT_TRUE(app.ok());
  const std::uint32_t generation = first.value().layout().generation.load();
  { auto gone = std::move(first.value()); }
  auto second = ftmpi::Channel::create(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(app.value().layout().generation.load(), generation + 1);
  EXPECT_TRUE(app.value().proxy_alive());
  std::remove(path.c_str());
}

TEST(Channel, AnApplicationWhoseFileWasReplacedSeesNoProxy) {
  const std::string path = scratch_path("replaced");
  auto first = ftmpi::Channel::create(path);
  ASSERT_TRUE(first.ok());
  auto leftover = ftmpi::Channel::open(path);
  ASSERT_TRUE(leftover.ok());
  // A restart: a new file at the path, served by a new proxy.
  ASSERT_EQ(std::remove(path.c_str()), 0);
  auto restarted = ftmpi::Channel::create(path);
  ASSERT_TRUE(restarted.ok());
  auto restored = ftmpi::Channel::open(path);
  ASSERT_TRUE(restored.ok());
  EXPECT_TRUE(restored.value().proxy_alive());
  EXPECT_FALSE(leftover.value().proxy_alive());
  std::remove(path.c_str());
}

}  // namespace
