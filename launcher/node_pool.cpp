#include "node_pool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/files.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

void touch(const fs::path& file) {
  std::ofstream(file, std::ios::trunc) << ::getpid() << '\n';
}

class ClusterPool final : public NodePool {
 public:
  explicit ClusterPool(SimCluster cluster) : m_cluster(std::move(cluster)) {
    for (const SimNode& n : m_cluster.nodes) {
      m_nodes.push_back({n.name, n.role, m_cluster.slots()});
    }
  }
  [[nodiscard]] bool alive(const PoolNode& node) const override {
    const SimNode* n = m_cluster.find(node.name);
    // A stalled machine leaves every heartbeat old for a moment: a node whose daemon
    // still runs has a few seconds to beat again before it counts as lost.
    return n != nullptr && node_answers(m_cluster, *n);
  }
  // Its daemon runs (beating or not yet): a stopped daemon is found by alive() when a
  // migration wants the node.
  [[nodiscard]] bool looks_up(const PoolNode& node) const override {
    const SimNode* n = m_cluster.find(node.name);
    return n != nullptr && node_usage(m_cluster, *n).daemon > 0;
  }
  [[nodiscard]] int processes(const PoolNode& node) const override {
    const SimNode* n = m_cluster.find(node.name);
    return n != nullptr ? node_usage(m_cluster, *n).processes : -1;
  }
  [[nodiscard]] long oom_kills(const PoolNode& node) const override {
    const SimNode* n = m_cluster.find(node.name);
    return n != nullptr ? std::max(0L, node_usage(m_cluster, *n).oom_kills) : 0;
  }
  [[nodiscard]] std::int64_t free_memory(const PoolNode& node) const override {
    const SimNode* n = m_cluster.find(node.name);
    if (n == nullptr || m_cluster.memory_mb <= 0) {
      return -1;
    }
    const std::int64_t used = node_usage(m_cluster, *n).memory_bytes;
    return used < 0 ? -1 : m_cluster.memory_mb * 1024 * 1024 - used;
  }
  [[nodiscard]] std::int64_t used_memory(const PoolNode& node) const override {
    const SimNode* n = m_cluster.find(node.name);
    return n != nullptr ? node_usage(m_cluster, *n).memory_bytes : -1;
  }
  [[nodiscard]] Status save() const override {
    SimCluster cluster = m_cluster;
    cluster.nodes.clear();
    for (const PoolNode& p : m_nodes) {
      if (const SimNode* n = m_cluster.find(p.name); n != nullptr) {
        SimNode copy = *n;
        copy.role = p.role;
        cluster.nodes.push_back(copy);
      }
    }
    return save_cluster(cluster);
  }
  [[nodiscard]] std::string description() const override { return "cluster " + m_cluster.name; }

 private:
  SimCluster m_cluster;
};

class HostfilePool final : public NodePool {
 public:
  HostfilePool(std::string dir, std::vector<PoolNode> nodes, std::string agent)
      : m_dir(std::move(dir)), m_agent(std::move(agent)) {
    m_nodes = std::move(nodes);
  }
  [[nodiscard]] bool alive(const PoolNode& node) const override {
    const double age =
        seconds_since_written((fs::path(m_dir) / k_nodes_dir / node.name / "heartbeat").string());
    return age >= 0 && age < 5;
  }
  [[nodiscard]] Status save() const override {
    json nodes = json::array();
    for (const PoolNode& n : m_nodes) {
      nodes.push_back({{"name", n.name}, {"slots", n.slots}, {"role", role_name(n.role)}});
    }
    const json j{{"format", "ftmpi-pool"}, {"version", 1}, {"agent", m_agent}, {"nodes", nodes}};
    return write_file_atomically((fs::path(m_dir) / k_pool_file).string(), j.dump(2) + "\n");
  }
  [[nodiscard]] double detection_delay() const override { return 6; }
  [[nodiscard]] std::string description() const override {
    return fmt::format("hostfile ({})", (fs::path(m_dir) / k_pool_file).string());
  }

 private:
  std::string m_dir;
  std::string m_agent;
};

Result<NodeRole> role_of(const std::string& name) {
  for (NodeRole r : {NodeRole::active, NodeRole::spare, NodeRole::excluded}) {
    if (role_name(r) == name) {
      return r;
    }
  }
  return corrupt("unknown node role " + name);
}

Result<std::unique_ptr<HostfilePool>> read_hostfile_pool(const std::string& job_dir) {
  const fs::path file = fs::path(job_dir) / k_pool_file;
  std::ifstream in(file);
  if (!in) {
    return not_found(fmt::format("{} does not exist", file.string()));
  }
  try {
    const json j = json::parse(in);
    if (j.at("format").get<std::string>() != "ftmpi-pool") {
      return corrupt(fmt::format("{} is not an ftmpi node pool", file.string()));
    }
    std::vector<PoolNode> nodes;
    for (const json& n : j.at("nodes")) {
      auto role = role_of(n.at("role").get<std::string>());
      if (!role.ok()) {
        return role.status();
      }
      nodes.push_back({n.at("name").get<std::string>(), role.value(), n.at("slots").get<int>()});
    }
    return std::make_unique<HostfilePool>(job_dir, std::move(nodes),
                                          j.at("agent").get<std::string>());
  } catch (const std::exception& e) {
    return corrupt(fmt::format("{} cannot be read: {}", file.string(), e.what()));
  }
}

std::vector<PoolNode>::iterator find_node(NodePool& pool, const std::string& name) {
  return std::find_if(pool.nodes().begin(), pool.nodes().end(),
                      [&](const PoolNode& n) { return n.name == name; });
}

// Spare `name` if it is up (or, without `must_be_up`, at all); for "" the healthiest spare
// that is up for the ranks of node `from` (move_node).
std::vector<PoolNode>::iterator live_spare(NodePool& pool, const std::string& name,
                                           const std::string& from, bool must_be_up = true) {
  const auto left = find_node(pool, from);
  const std::int64_t need = left != pool.nodes().end() ? pool.used_memory(*left) : -1;
  // Better is smaller: no room, score (in tenths: closer scores are noise), less free
  // memory.
  using Key = std::tuple<int, long, std::int64_t>;
  auto best = pool.nodes().end();
  Key best_key;
  for (auto it = pool.nodes().begin(); it != pool.nodes().end(); ++it) {
    if (it->role != NodeRole::spare || (!name.empty() && it->name != name) ||
        ((must_be_up || name.empty()) && !pool.alive(*it))) {
      continue;
    }
    const std::int64_t free = pool.free_memory(*it);
    const Key key{need >= 0 && free >= 0 && free < need ? 1 : 0,
                  std::lround(pool.score(it->name) * 10), -free};
    if (best == pool.nodes().end() || key < best_key) {
      best = it;
      best_key = key;
    }
  }
  return best;
}

}  // namespace

std::string pool_hostfile(const NodePool& pool) {
  std::string text;
  for (const PoolNode& n : pool.nodes()) {
    if (n.role == NodeRole::active) {
      text += fmt::format("{} slots={}\n", n.name, n.slots);
    }
  }
  return text;
}

std::vector<std::string> pool_rank_nodes(const NodePool& pool, int ranks) {
  std::vector<std::string> nodes;
  for (const PoolNode& n : pool.nodes()) {
    for (int s = 0; n.role == NodeRole::active && s < n.slots; ++s) {
      nodes.push_back(n.name);
    }
  }
  nodes.resize(static_cast<std::size_t>(std::max(ranks, 0)));  // "" where unknown
  return nodes;
}

std::map<std::string, long> oom_counts(const NodePool& pool) {
  std::map<std::string, long> counts;
  for (const PoolNode& n : pool.nodes()) {
    counts[n.name] = pool.oom_kills(n);
  }
  return counts;
}

std::vector<std::string> lost_nodes(const NodePool& pool,
                                    const std::map<std::string, long>& oom_before) {
  std::vector<std::string> lost;
  for (const PoolNode& n : pool.nodes()) {
    const auto before = oom_before.find(n.name);
    const bool oom = before != oom_before.end() && pool.oom_kills(n) > before->second;
    if (n.role == NodeRole::active && (!pool.alive(n) || oom)) {
      lost.push_back(n.name);
    }
  }
  return lost;
}

bool move_node(NodePool& pool, const std::string& from, std::string& to, bool to_must_be_up) {
  auto old = find_node(pool, from);
  auto spare = live_spare(pool, to, from, to_must_be_up);
  if (spare == pool.nodes().end()) {
    spare = live_spare(pool, "", from);
  }
  if (old == pool.nodes().end()) {
    return false;
  }
  old->role = NodeRole::excluded;
  if (spare == pool.nodes().end()) {
    return false;
  }
  to = spare->name;
  spare->role = NodeRole::active;
  std::iter_swap(old, spare);
  return true;
}

bool replace_lost_nodes(NodePool& pool, const std::vector<std::string>& lost,
                        std::vector<std::string>& replacements) {
  for (const std::string& name : lost) {
    std::string to;
    if (!move_node(pool, name, to)) {
      return false;
    }
    replacements.push_back(to);
  }
  return true;
}

Result<std::unique_ptr<NodePool>> open_cluster_pool(const std::string& cluster) {
  auto loaded = load_cluster(cluster);
  if (!loaded.ok()) {
    return loaded.status();
  }
  return std::unique_ptr<NodePool>(std::make_unique<ClusterPool>(std::move(loaded).value()));
}

Result<std::unique_ptr<NodePool>> create_hostfile_pool(const std::string& job_dir,
                                                       const std::string& hostfile, int spares,
                                                       const std::string& agent) {
  std::vector<PoolNode> nodes;
  std::istringstream in(hostfile);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    PoolNode node;
    if (!(words >> node.name)) {
      continue;
    }
    for (std::string word; words >> word;) {
      if (word.rfind("slots=", 0) == 0) {
        node.slots = std::atoi(word.c_str() + 6);
      }
    }
    if (node.slots <= 0) {
      return invalid_argument(fmt::format("host {}: slots must be a positive number", node.name));
    }
    nodes.push_back(std::move(node));
  }
  if (spares < 0 || static_cast<int>(nodes.size()) <= spares) {
    return invalid_argument(fmt::format(
        "the hostfile names {} hosts: --spares {} leaves none to run on", nodes.size(), spares));
  }
  for (std::size_t i = nodes.size() - static_cast<std::size_t>(spares); i < nodes.size(); ++i) {
    nodes[i].role = NodeRole::spare;
  }
  auto pool = std::make_unique<HostfilePool>(job_dir, std::move(nodes), agent);
  if (!job_dir.empty()) {  // "": a dry run, nothing kept
    FTMPI_RETURN_IF_ERROR(pool->save());
  }
  return std::unique_ptr<NodePool>(std::move(pool));
}

Result<std::unique_ptr<NodePool>> open_hostfile_pool(const std::string& job_dir) {
  auto pool = read_hostfile_pool(job_dir);
  if (!pool.ok()) {
    return pool.status();
  }
  return std::unique_ptr<NodePool>(std::move(pool).value());
}

Result<std::unique_ptr<NodePool>> open_job_pool(const std::string& job_dir, const JobInfo& job) {
  if (!job.cluster.empty()) {
    return open_cluster_pool(job.cluster);
  }
  if (job.pool) {
    return open_hostfile_pool(job_dir);
  }
  return std::unique_ptr<NodePool>();
}

std::map<std::string, double> read_risk_scores(const std::string& file) {
  std::map<std::string, double> scores;
  std::ifstream in(file);
  std::string node;
  double score = 0;
  while (in >> node >> score) {
    scores[node] = score;
  }
  return scores;
}

Status start_node_daemons(const NodePool& pool, const std::string& job_dir,
                          const std::string& agent_command, const std::vector<std::string>& noded,
                          double timeout) {
  std::vector<std::string> agent;
  std::istringstream words(agent_command);
  for (std::string w; words >> w;) {
    agent.push_back(w);
  }
  for (const PoolNode& n : pool.nodes()) {
    if (n.role == NodeRole::excluded) {
      continue;
    }
    const fs::path dir = fs::path(job_dir) / k_nodes_dir / n.name;
    std::error_code ec;
    fs::create_directories(dir, ec);
    fs::remove(dir / "stop", ec);
    std::vector<std::string> argv = agent;
    argv.push_back(n.name);
    argv.insert(argv.end(), noded.begin(), noded.end());
    argv.push_back(dir.string());
    const pid_t pid = ::fork();
    if (pid < 0) {
      return errno_status("fork", errno);
    }
    if (pid == 0) {
      ::setsid();
      const int null = ::open("/dev/null", O_RDWR);
      const int log = ::open((dir / "agent.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(null, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::close_range(3, ~0U, 0);
      std::vector<char*> args;
      args.reserve(argv.size() + 1);
      for (std::string& a : argv) {
        args.push_back(a.data());
      }
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    std::ofstream(dir / "agent.pid") << pid << '\n';
  }
  // Every active node must answer.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  for (;;) {
    std::string missing;
    for (const PoolNode& n : pool.nodes()) {
      if (n.role == NodeRole::active && !pool.alive(n)) {
        missing = n.name;
        break;
      }
    }
    if (missing.empty()) {
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return not_found(
          fmt::format("node {} does not answer: its daemon did not start through '{} {}' (see {})",
                      missing, agent_command, missing,
                      (fs::path(job_dir) / k_nodes_dir / missing / "agent.log").string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void stop_node_daemons(const std::string& job_dir) {
  std::error_code ec;
  for (const auto& entry : ftmpi::directory_entries(fs::path(job_dir) / k_nodes_dir, ec)) {
    if (!entry.is_directory()) {
      continue;
    }
    touch(entry.path() / "stop");
    std::ifstream in(entry.path() / "agent.pid");
    long pid = 0;
    if (in >> pid && pid > 0) {
      ::kill(static_cast<pid_t>(pid), SIGTERM);
    }
  }
}

void beat_for_node_daemons(const std::string& job_dir) {
  const std::string file = (fs::path(job_dir) / k_nodes_dir / "launcher").string();
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  const std::string pid = std::to_string(::getpid()) + "\n";
  (void)beat(file, pid);
  std::thread([file, pid] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      (void)beat(file, pid);
    }
  }).detach();
}

}  // namespace ftmpi
