// The job's nodes with spares from a hostfile (launcher/node_pool.hpp): parsing, the
// active nodes' hostfile and rank placement, liveness by heartbeat, a spare put in a
// node's place, the state kept in the job's directory.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "node_pool.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

class NodePoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/ftmpi-pool-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    m_dir = dir;
  }
  void TearDown() override { fs::remove_all(m_dir); }
  // NODE's daemon beats now.
  void beat(const std::string& node) const {
    fs::create_directories(fs::path(m_dir) / "nodes" / node);
    std::ofstream(fs::path(m_dir) / "nodes" / node / "heartbeat") << 1;
  }
  std::string m_dir;
};

TEST_F(NodePoolTest, HostfileWithSpares) {
  const std::string hostfile =
      "# the cluster\n"
      "a slots=2\n"
      "b slots=4 max_slots=4  # big one\n"
      "\n"
      "c slots=2\n"
      "d\n";
  auto pool = create_hostfile_pool(m_dir, hostfile, 2, "ssh");
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  const NodePool& p = *pool.value();
  ASSERT_EQ(p.nodes().size(), 4U);
  EXPECT_EQ(p.nodes()[1].slots, 4);
  EXPECT_EQ(p.nodes()[3].slots, 1);  // no slots=: one
  EXPECT_EQ(p.nodes()[2].role, NodeRole::spare);
  EXPECT_EQ(p.nodes()[3].role, NodeRole::spare);
  EXPECT_EQ(pool_hostfile(p), "a slots=2\nb slots=4\n");
  EXPECT_EQ(pool_rank_nodes(p, 7), (std::vector<std::string>{"a", "a", "b", "b", "b", "b", ""}));
  // Kept in the job's directory, read back the same.
  auto again = open_hostfile_pool(m_dir);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(pool_hostfile(*again.value()), pool_hostfile(p));
}

TEST_F(NodePoolTest, RefusesBadHostfiles) {
  EXPECT_FALSE(create_hostfile_pool(m_dir, "a slots=2\nb slots=2\n", 2, "ssh").ok())
      << "as many spares as hosts";
  EXPECT_FALSE(create_hostfile_pool(m_dir, "a slots=zero\nb\n", 1, "ssh").ok());
  EXPECT_FALSE(create_hostfile_pool(m_dir, "# nothing\n", 0, "ssh").ok());
  std::ofstream(fs::path(m_dir) / k_pool_file) << "{\"format\": \"something else\"}";
  EXPECT_FALSE(open_hostfile_pool(m_dir).ok());
}

TEST_F(NodePoolTest, ADryRunKeepsNothing) {
  ASSERT_TRUE(create_hostfile_pool("", "a\nb\n", 1, "ssh").ok());
  EXPECT_FALSE(fs::exists(k_pool_file));
}

TEST_F(NodePoolTest, LostNodesAndSparesByHeartbeat) {
  auto pool = create_hostfile_pool(m_dir, "a slots=2\nb slots=2\nc slots=2\nd slots=2\n", 2, "ssh");
  ASSERT_TRUE(pool.ok());
  NodePool& p = *pool.value();
  beat("a");
  beat("d");  // b never beat (lost); c, a spare, is down too
  EXPECT_EQ(lost_nodes(p), std::vector<std::string>{"b"});
  std::vector<std::string> replacements;
  ASSERT_TRUE(replace_lost_nodes(p, {"b"}, replacements));
  EXPECT_EQ(replacements, std::vector<std::string>{"d"}) << "the spare that is up";
  EXPECT_EQ(pool_hostfile(p), "a slots=2\nd slots=2\n") << "d takes b's place";
  EXPECT_EQ(p.nodes()[3].role, NodeRole::excluded);
  // No spare up is left: a migration has nowhere to go.
  std::string to;
  EXPECT_FALSE(move_node(p, "a", to));
  ASSERT_TRUE(p.save().ok());
  auto again = open_hostfile_pool(m_dir);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value()->nodes()[1].name, "d");
}

}  // namespace
}  // namespace ftmpi
