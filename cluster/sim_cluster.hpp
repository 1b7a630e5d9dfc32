// A simulated cluster on one machine (docs/cluster.md): active nodes and spares, each
// with a name that resolves to its own loopback address (/etc/hosts) or, with a network
// namespace per node, to its address on the cluster's bridge, its own cgroups
// (cgroup v1: memory, cpu, pids, freezer), its own node-local directory and system root
// (the sensor files ftmpi samples), and a node daemon.  A process enters a node through
// `ftmpi-cluster exec` (or Open MPI's rsh agent, `ftmpi-cluster agent`): it joins the
// node's cgroups and a UTS namespace named after the node, so that MPI, ftmpi's trace
// and everything else see separate hosts.  Real processes, real limits: killing a
// node kills everything in its cgroups.
//
// Everything a cluster makes is recorded in its state directory
// (cluster_root()/NAME/cluster.json) and removed by destroy_cluster(), also from a
// cluster left half made.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

enum class NodeRole : std::uint8_t { active, spare, excluded };
std::string_view role_name(NodeRole role) noexcept;

struct SimNode {
  std::string name;     // NAME-nI
  std::string address;  // 127.77.S.I, or 10.177.S.I in its network namespace
  NodeRole role = NodeRole::active;
};

struct SimClusterSpec {
  std::string name = "ftmpi";
  int nodes = 2;               // active
  int spares = 0;              // spare
  int cpus = 0;                // CPU limit per node (cpu.cfs_quota_us); 0: none
  std::int64_t memory_mb = 0;  // memory limit per node; 0: none
  std::int64_t disk_mb = 0;    // node-local disk per node (a tmpfs of that size); 0: the host's
  bool netns = false;          // a network namespace per node, on a bridge of the cluster's
};

struct SimCluster {
  std::string name;
  std::string root;  // its state directory
  int subnet = 0;    // S of 127.77.S.I
  int cpus = 0;
  std::int64_t memory_mb = 0;
  std::int64_t disk_mb = 0;
  bool netns = false;  // each node in its network namespace (netns_name), on bridge_name()
  std::vector<SimNode> nodes;

  [[nodiscard]] std::string node_dir(const SimNode& node) const;  // ROOT/nodes/NODE
  // MPI slots per node: its CPU limit, else 2.
  [[nodiscard]] int slots() const noexcept { return cpus > 0 ? cpus : 2; }
  [[nodiscard]] const SimNode* find(const std::string& node) const;
  // With netns: the node's network namespace (ip netns), the cluster's bridge, whose
  // address is 10.177.S.254, and the host's end of a node's link.
  [[nodiscard]] std::string netns_name(const SimNode& node) const { return "ftmpi-" + node.name; }
  [[nodiscard]] std::string bridge_name() const { return "ftmpi-b" + std::to_string(subnet); }
  // What MPI's TCP traffic between the nodes goes over (Open MPI's btl_tcp_if_include and
  // oob_tcp_if_include): "lo", or the bridge's subnet.
  [[nodiscard]] std::string mpi_network() const;
};

// An Open MPI hostfile of the active nodes, in the cluster's order (slots: 0 for slots()).
std::string hostfile_text(const SimCluster& cluster, int slots = 0);

// Where cluster state lives: FTMPI_CLUSTER_ROOT, else /run/ftmpi/clusters.
std::string cluster_root();
// The cgroup of a node under a v1 controller (FTMPI_CGROUP_ROOT, else /sys/fs/cgroup).
std::string node_cgroup(const std::string& controller, const SimCluster& cluster,
                        const SimNode& node);
// The same relative to the controller's mount (for FTMPI_NODE_CGROUP).
std::string node_cgroup_relative(const SimCluster& cluster, const SimNode& node);

// Makes a cluster: addresses, host names, cgroups, directories (not the daemons).
// Refuses a name already in use; on failure removes what it made.
// Whether `name` can name a cluster (1 to 16 lower-case letters and digits, starting
// with a letter): invalid_argument if not.  Every function here that takes a name checks.
Status check_cluster_name(const std::string& name);
Result<SimCluster> create_cluster(const SimClusterSpec& spec);
Result<SimCluster> load_cluster(const std::string& name);
Status save_cluster(const SimCluster& cluster);
std::vector<std::string> list_clusters();
// Kills every process of every node and removes all the cluster made.
Status destroy_cluster(const std::string& name);
// The node named `host` in any cluster.
Result<std::pair<SimCluster, SimNode>> find_node(const std::string& host);

// Moves the calling process into the node: its cgroups, a new UTS namespace with the
// node's host name, and the node's environment (FTMPI_SYSROOT, FTMPI_NODE_CGROUP,
// FTMPI_NODE_DIR, FTMPI_NODE).  Needs root.
Status enter_node(const SimCluster& cluster, const SimNode& node);
// The processes in the node (its pids cgroup).
std::vector<pid_t> node_processes(const SimCluster& cluster, const SimNode& node);
// SIGKILLs every process of the node until none is left (a node lost without warning).
Status kill_node(const SimCluster& cluster, const SimNode& node);

struct NodeUsage {
  int processes = 0;
  std::int64_t memory_bytes = -1;
  pid_t daemon = 0;           // 0: not running
  double heartbeat_age = -1;  // seconds since the daemon's last heartbeat
  long oom_kills = -1;        // processes the node's OOM killer took (-1: unknown)
  // The node is up: its daemon runs and beat within the last 5 s (it beats every second).
  [[nodiscard]] bool alive() const noexcept {
    return daemon > 0 && heartbeat_age >= 0 && heartbeat_age < 5;
  }
};
NodeUsage node_usage(const SimCluster& cluster, const SimNode& node);
// The node answers: it is alive(), or its daemon still runs and beats within `grace_s`
// seconds.  A stalled machine (every process waiting for seconds) leaves each daemon's
// last beat older than 5 s until it is scheduled again; a daemon that is gone, or that
// stays silent, is a node down.
bool node_answers(const SimCluster& cluster, const SimNode& node, double grace_s = 3);

// The node daemon's files in the node directory.
inline constexpr const char* k_noded_pid_file = "noded.pid";
inline constexpr const char* k_noded_heartbeat_file = "heartbeat";

}  // namespace ftmpi
