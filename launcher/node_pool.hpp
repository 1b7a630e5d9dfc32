// The nodes a job may run on, as ftmpi-launch and ftmpi-ctl see them: in order, each
// active (holds ranks), spare or excluded, with its MPI slots, and whether it is up.
// Roll-backs and migrations change roles and put a spare in the place of the node it
// replaces, so that every other rank keeps its node.
//
// Two back-ends (docs/ftmpi-launch.md, "Spare nodes"):
// - a simulated cluster (ftmpi-cluster): its state is the cluster's own, a node is up
//   while its daemon runs and beats;
// - a hostfile with spares (ftmpi-launch --hostfile FILE --spares K): its state is the
//   job's (DIR/pool.json), and ftmpi-noded on each node, started through a remote-exec
//   agent (ssh by default), beats in DIR/nodes/NODE/heartbeat: a node is up while it
//   beat within the last 5 s.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ckpt/job_file.hpp"
#include "ckpt/manifest.hpp"
#include "sim_cluster.hpp"
#include "util/status.hpp"

namespace ftmpi {

struct PoolNode {
  std::string name;
  NodeRole role = NodeRole::active;
  int slots = 1;
};

class NodePool {
 public:
  NodePool() = default;
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;
  NodePool(NodePool&&) = delete;
  NodePool& operator=(NodePool&&) = delete;
  virtual ~NodePool() = default;

  [[nodiscard]] std::vector<PoolNode>& nodes() noexcept { return m_nodes; }
  [[nodiscard]] const std::vector<PoolNode>& nodes() const noexcept { return m_nodes; }
  // The node is up: its daemon answers (this may wait a few seconds for a daemon that
  // runs but has not beaten lately, as on a stalled machine).
  [[nodiscard]] virtual bool alive(const PoolNode& node) const = 0;
  // The node looks up at a glance, without waiting: for counts taken again and again
  // (the spares for the predictor), where alive()'s wait would stall the caller.
  [[nodiscard]] virtual bool looks_up(const PoolNode& node) const { return alive(node); }
  // The node's processes, where they can be counted (-1: not known here).
  [[nodiscard]] virtual int processes(const PoolNode& /*node*/) const { return -1; }
  // Processes the node's OOM killer took so far, where known (else 0).
  [[nodiscard]] virtual long oom_kills(const PoolNode& /*node*/) const { return 0; }
  // Bytes of memory the node has free for ranks, where known (-1: not known here).
  [[nodiscard]] virtual std::int64_t free_memory(const PoolNode& /*node*/) const { return -1; }
  // Bytes of memory the node's processes use, where known (-1: not known here).
  [[nodiscard]] virtual std::int64_t used_memory(const PoolNode& /*node*/) const { return -1; }
  // The predictor's failure-probability scores of the nodes (the job's risk.txt), which
  // choose among spares; a node without one scores 0.
  void set_scores(std::map<std::string, double> scores) { m_scores = std::move(scores); }
  [[nodiscard]] double score(const std::string& node) const {
    const auto it = m_scores.find(node);
    return it != m_scores.end() ? it->second : 0.0;
  }
  // The roles and the order, for ftmpi-ctl and the next ftmpi-launch.
  [[nodiscard]] virtual Status save() const = 0;
  // How long a node that died may still look up (its last heartbeat), in seconds.
  [[nodiscard]] virtual double detection_delay() const { return 0; }
  // "cluster NAME" or "hostfile (DIR/pool.json)".
  [[nodiscard]] virtual std::string description() const = 0;

 protected:
  std::vector<PoolNode> m_nodes;

 private:
  std::map<std::string, double> m_scores;
};

// The scores the predictor rank leaves in a job's risk.txt ("NODE SCORE" lines); none
// when it has not written one.
std::map<std::string, double> read_risk_scores(const std::string& file);

// An Open MPI hostfile of the active nodes, in order.
std::string pool_hostfile(const NodePool& pool);
// The node of each of `ranks` ranks: Open MPI fills the hostfile's nodes in order.
std::vector<std::string> pool_rank_nodes(const NodePool& pool, int ranks);
// The OOM kills of every node so far.
std::map<std::string, long> oom_counts(const NodePool& pool);
// The active nodes that are down, or (given the counts at the job's start) whose OOM
// killer struck since: a node whose memory ran out has lost the ranks it killed.
std::vector<std::string> lost_nodes(const NodePool& pool,
                                    const std::map<std::string, long>& oom_before = {});
// Each lost node excluded, the first spare that is up in its place; false when the
// spares run out.
bool replace_lost_nodes(NodePool& pool, const std::vector<std::string>& lost,
                        std::vector<std::string>& replacements);
// Node `from` excluded, spare `to` in its place; false when no spare is up.  If `to` is
// empty, not a spare or down, the healthiest spare that is up: one with room for what
// `from` holds (free memory at least `from`'s used memory, where both are known), then
// the lowest score (set_scores: the predictor scores spares from their node daemons'
// samples; scores in the same tenth count as equal), then the most free memory, then
// the first.
// Without `to_must_be_up`, spare `to` is taken even if it looks down (its ranks already
// run there: a heartbeat late on a busy machine must not undo a migration).
bool move_node(NodePool& pool, const std::string& from, std::string& to, bool to_must_be_up = true);

// A simulated cluster's nodes.
Result<std::unique_ptr<NodePool>> open_cluster_pool(const std::string& cluster);
// A hostfile's hosts (Open MPI format: "host [slots=N] ..."), the last `spares` of them
// spares, kept in `job_dir` ("": not kept); `agent` runs a command on a host ("ssh", or what the
// hostfile's cluster uses).
Result<std::unique_ptr<NodePool>> create_hostfile_pool(const std::string& job_dir,
                                                       const std::string& hostfile, int spares,
                                                       const std::string& agent);
Result<std::unique_ptr<NodePool>> open_hostfile_pool(const std::string& job_dir);
// The pool of the job in `job_dir` (its job file names it), or none (nullptr).
Result<std::unique_ptr<NodePool>> open_job_pool(const std::string& job_dir, const JobInfo& job);

// The job's node daemons: `noded` (ftmpi-noded and its options; the node's directory
// DIR/nodes/NODE is added) on every node of `pool` that is not excluded, started through
// `agent` ("ssh", "ftmpi-cluster agent", ...: the host and the command are added); waits
// up to `timeout` seconds until every active node is up.  stop_node_daemons() asks them
// to end.
Status start_node_daemons(const NodePool& pool, const std::string& job_dir,
                          const std::string& agent, const std::vector<std::string>& noded,
                          double timeout);
void stop_node_daemons(const std::string& job_dir);
// ftmpi-launch, while it runs, beats in DIR/nodes/launcher: node daemons end when it has
// not beaten for 30 s (a launcher that was killed).
void beat_for_node_daemons(const std::string& job_dir);

inline constexpr const char* k_pool_file = "pool.json";

}  // namespace ftmpi
