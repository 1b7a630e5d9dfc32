// The job's nodes with spares from a hostfile (launcher/node_pool.hpp): parsing, the
// active nodes' hostfile and rank placement, liveness by heartbeat, a spare put in a
// node's place, the state kept in the job's directory.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

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

TEST_F(NodePoolTest, ASpareThatAlreadyRunsTheRanksIsTakenWithALateHeartbeat) {
  auto pool = create_hostfile_pool(m_dir, "a\nb\nc\n", 1, "ssh");
  ASSERT_TRUE(pool.ok());
  NodePool& p = *pool.value();
  beat("a");
  beat("b");  // c, the spare, has not beaten (late, or down)
  std::string to = "c";
  EXPECT_FALSE(move_node(p, "b", to));
  p.nodes()[1].role = NodeRole::active;  // undo what the refusal changed
  to = "c";
  ASSERT_TRUE(move_node(p, "b", to, false));
  EXPECT_EQ(to, "c");
  EXPECT_EQ(pool_hostfile(p), "a slots=1\nc slots=1\n");
  // Unnamed, a spare must be up.
  auto other = create_hostfile_pool(m_dir, "a\nb\nc\n", 1, "ssh");
  ASSERT_TRUE(other.ok());
  to.clear();
  EXPECT_FALSE(move_node(*other.value(), "b", to, false));
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
  to = "c";
  EXPECT_FALSE(move_node(p, "a", to)) << "c is down";
  ASSERT_TRUE(p.save().ok());
  auto again = open_hostfile_pool(m_dir);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value()->nodes()[1].name, "d");
}

// A simulated cluster's spare whose daemon runs but is stopped (SIGSTOP, or a stalled
// machine): alive() gives it a few seconds to beat before it counts as down; looks_up()
// answers at once, so that counting the spares again and again stalls nobody.
TEST_F(NodePoolTest, AClusterSpareLooksUpAtOnceWhileItsDaemonRuns) {
  ::setenv("FTMPI_CLUSTER_ROOT", m_dir.c_str(), 1);
  ::setenv("FTMPI_CGROUP_ROOT", (m_dir + "/cgroup").c_str(), 1);
  SimCluster cluster;
  cluster.name = "lu";
  cluster.root = (fs::path(m_dir) / "lu").string();
  cluster.nodes = {{"lu-n1", "127.77.250.1", NodeRole::active},
                   {"lu-n2", "127.77.250.2", NodeRole::spare}};
  ASSERT_TRUE(save_cluster(cluster).ok());
  const pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    ::pause();
    ::_exit(0);
  }
  ::kill(daemon, SIGSTOP);
  const fs::path node_dir = cluster.node_dir(cluster.nodes[1]);
  fs::create_directories(node_dir);
  std::ofstream(node_dir / k_noded_pid_file) << daemon << '\n';
  auto pool = open_cluster_pool("lu");
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  const PoolNode spare = pool.value()->nodes()[1];
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(pool.value()->looks_up(spare));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(pool.value()->alive(spare)) << "it never beat";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "no grace";
  ::kill(daemon, SIGKILL);
  ::waitpid(daemon, nullptr, 0);
  EXPECT_FALSE(pool.value()->looks_up(spare)) << "its daemon is gone";
  EXPECT_FALSE(pool.value()->looks_up(pool.value()->nodes()[0])) << "n1 never had a daemon";
  ::unsetenv("FTMPI_CLUSTER_ROOT");
  ::unsetenv("FTMPI_CGROUP_ROOT");
}

// A pool whose nodes are all up, with the free memory given; node "a" (active) uses
// `used` bytes.
class MemoryPool final : public NodePool {
 public:
  explicit MemoryPool(std::map<std::string, std::int64_t> free, std::int64_t used = -1)
      : m_free(std::move(free)), m_used(used) {
    for (const auto& [name, bytes] : m_free) {
      m_nodes.push_back({name, name == "a" ? NodeRole::active : NodeRole::spare, 1});
    }
  }
  [[nodiscard]] bool alive(const PoolNode& /*node*/) const override { return true; }
  [[nodiscard]] std::int64_t free_memory(const PoolNode& node) const override {
    return m_free.at(node.name);
  }
  [[nodiscard]] std::int64_t used_memory(const PoolNode& node) const override {
    return node.name == "a" ? m_used : -1;
  }
  [[nodiscard]] Status save() const override { return {}; }
  [[nodiscard]] std::string description() const override { return "test"; }

 private:
  std::map<std::string, std::int64_t> m_free;
  std::int64_t m_used;
};

TEST(NodePoolChoice, AnySpareMeansTheOneWithTheMostFreeMemory) {
  MemoryPool p({{"a", 0}, {"b", 100}, {"c", 700}, {"d", 300}});
  std::string to;
  ASSERT_TRUE(move_node(p, "a", to));
  EXPECT_EQ(to, "c");
  // A spare asked for by name is taken even with less memory.
  MemoryPool q({{"a", 0}, {"b", 100}, {"c", 700}});
  to = "b";
  ASSERT_TRUE(move_node(q, "a", to));
  EXPECT_EQ(to, "b");
}

TEST(NodePoolChoice, AnySpareMeansTheLowestScoreAmongThoseWithRoom) {
  // The predictor scores spares: the healthier one wins over more memory.
  MemoryPool p({{"a", 0}, {"b", 100}, {"c", 700}, {"d", 300}});
  p.set_scores({{"a", 0.9}, {"c", 0.6}, {"d", 0.1}});
  std::string to;
  ASSERT_TRUE(move_node(p, "a", to));
  EXPECT_EQ(to, "b") << "b has no score yet (0): lower than d's";
  MemoryPool q({{"a", 0}, {"b", 100}, {"c", 700}, {"d", 300}});
  q.set_scores({{"b", 0.2}, {"c", 0.6}, {"d", 0.1}});
  to.clear();
  ASSERT_TRUE(move_node(q, "a", to));
  EXPECT_EQ(to, "d");
  // Room first: a spare with less free memory than node a uses comes after those with
  // enough, whatever its score.
  MemoryPool r({{"a", 0}, {"b", 100}, {"c", 700}, {"d", 300}}, 250);
  r.set_scores({{"b", 0.0}, {"c", 0.6}, {"d", 0.1}});
  to.clear();
  ASSERT_TRUE(move_node(r, "a", to));
  EXPECT_EQ(to, "d");
  // Scores as good as equal (the same tenth): the most free memory.
  MemoryPool s({{"a", 0}, {"b", 100}, {"c", 700}, {"d", 300}});
  s.set_scores({{"b", 0.28}, {"c", 0.34}, {"d", 0.31}});
  to.clear();
  ASSERT_TRUE(move_node(s, "a", to));
  EXPECT_EQ(to, "c");
  // A spare named is taken whatever its score.
  MemoryPool t({{"a", 0}, {"b", 100}, {"c", 700}});
  t.set_scores({{"b", 0.95}});
  to = "b";
  ASSERT_TRUE(move_node(t, "a", to));
  EXPECT_EQ(to, "b");
}

TEST(NodePoolChoice, RiskScoresAreReadFromThePredictorsFile) {
  const std::string file = ::testing::TempDir() + "/risk.txt";
  std::ofstream(file) << "n1 0.12\nn2 0.97\n";
  const auto scores = read_risk_scores(file);
  ASSERT_EQ(scores.size(), 2U);
  EXPECT_DOUBLE_EQ(scores.at("n2"), 0.97);
  EXPECT_TRUE(read_risk_scores(file + ".none").empty());
}

}  // namespace
}  // namespace ftmpi
