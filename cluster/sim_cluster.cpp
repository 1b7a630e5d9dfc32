#include "sim_cluster.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/cgroup_memory.hpp"
#include "util/env.hpp"
#include "util/files.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* k_state_file = "cluster.json";
constexpr const char* k_controllers[] = {"memory", "cpu", "pids", "freezer"};
constexpr int k_max_nodes = 64;

std::string cgroup_root() {
  return env_or("FTMPI_CGROUP_ROOT", "/sys/fs/cgroup");
}

std::string hosts_file() {
  return env_or("FTMPI_HOSTS_FILE", "/etc/hosts");
}

std::string hosts_marker(const std::string& cluster) {
  return "# ftmpi-cluster " + cluster;
}

Status write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) {
    return errno_status("cannot write " + path.string(), errno);
  }
  return {};
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<pid_t> read_pids(const fs::path& procs) {
  std::vector<pid_t> pids;
  std::ifstream in(procs);
  long pid = 0;
  while (in >> pid) {
    pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

// The third octets of 127.77.S.I and 10.177.S.I addresses /etc/hosts already names.
std::set<int> used_subnets() {
  std::set<int> used;
  std::ifstream in(hosts_file());
  std::string line;
  const std::regex address(R"(^\s*(?:127\.77|10\.177)\.(\d+)\.)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, address)) {
      used.insert(std::stoi(m[1]));
    }
  }
  return used;
}

// Removes the cluster's lines from /etc/hosts, rewriting it in place (it is often a
// bind mount that cannot be replaced).
Status remove_host_lines(const std::string& cluster) {
  const std::string marker = hosts_marker(cluster);
  std::ifstream in(hosts_file());
  if (!in) {
    return {};
  }
  std::string kept;
  std::string line;
  bool removed = false;
  while (std::getline(in, line)) {
    if (line.size() >= marker.size() &&
        line.compare(line.size() - marker.size(), marker.size(), marker) == 0) {
      removed = true;
      continue;
    }
    kept += line + "\n";
  }
  in.close();
  return removed ? write_file(hosts_file(), kept) : Status{};
}

Status add_host_lines(const SimCluster& cluster) {
  std::ofstream out(hosts_file(), std::ios::app);
  for (const SimNode& node : cluster.nodes) {
    out << fmt::format("{}\t{}\t{}\n", node.address, node.name, hosts_marker(cluster.name));
  }
  out.flush();
  if (!out) {
    return errno_status("cannot add the nodes to " + hosts_file(), errno);
  }
  return {};
}

Status make_cgroups(const SimCluster& cluster, const SimNode& node) {
  for (const char* controller : k_controllers) {
    const fs::path dir = node_cgroup(controller, cluster, node);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return io_error(fmt::format("cannot create the cgroup {}: {}", dir.string(), ec.message()));
    }
  }
  if (cluster.memory_mb > 0) {
    FTMPI_RETURN_IF_ERROR(
        write_file(fs::path(node_cgroup("memory", cluster, node)) / "memory.limit_in_bytes",
                   std::to_string(cluster.memory_mb * 1024 * 1024)));
  }
  if (cluster.cpus > 0) {
    const fs::path cpu = node_cgroup("cpu", cluster, node);
    FTMPI_RETURN_IF_ERROR(write_file(cpu / "cpu.cfs_period_us", "100000"));
    FTMPI_RETURN_IF_ERROR(
        write_file(cpu / "cpu.cfs_quota_us", std::to_string(cluster.cpus * 100000)));
  }
  return {};
}

// The node's system root: the machine's /proc and cgroups, and a memory controller, a
// thermal zone and a NIC of its own (simulated: a fault injector raises their counters).
Status make_node_dirs(const SimCluster& cluster, const SimNode& node) {
  const fs::path dir = cluster.node_dir(node);
  const fs::path sysroot = dir / "sysroot";
  std::error_code ec;
  for (const fs::path& d :
       {dir / "local", dir / "tmp", sysroot / "sys/fs", sysroot / "sys/class/thermal/thermal_zone0",
        sysroot / "sys/class/net/sim0/statistics", sysroot / "sys/devices/system/edac/mc/mc0"}) {
    fs::create_directories(d, ec);
    if (ec) {
      return io_error(fmt::format("cannot create {}: {}", d.string(), ec.message()));
    }
  }
  if (cluster.disk_mb > 0) {
    // A disk of its own, small enough to fill: a tmpfs of that size.
    const std::string size = fmt::format("size={}m", cluster.disk_mb);
    if (::mount("tmpfs", (dir / "local").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, size.c_str()) !=
        0) {
      return errno_status("cannot mount a tmpfs as " + (dir / "local").string(), errno);
    }
  }
  fs::create_directory_symlink("/proc", sysroot / "proc", ec);
  fs::create_directory_symlink(cgroup_root(), sysroot / "sys/fs/cgroup", ec);
  if (ec) {
    return io_error(fmt::format("cannot populate {}: {}", sysroot.string(), ec.message()));
  }
  const fs::path mc = sysroot / "sys/devices/system/edac/mc/mc0";
  FTMPI_RETURN_IF_ERROR(write_file(mc / "ce_count", "0\n"));
  FTMPI_RETURN_IF_ERROR(write_file(mc / "ue_count", "0\n"));
  FTMPI_RETURN_IF_ERROR(write_file(sysroot / "sys/class/thermal/thermal_zone0/temp", "45000\n"));
  FTMPI_RETURN_IF_ERROR(write_file(sysroot / "sys/class/thermal/thermal_zone0/type", "sim\n"));
  for (const char* counter : {"rx_errors", "tx_errors", "rx_dropped", "tx_dropped"}) {
    FTMPI_RETURN_IF_ERROR(write_file(sysroot / "sys/class/net/sim0/statistics" / counter, "0\n"));
  }
  return {};
}

// Runs `ip ARGS...` and waits; its complaint on failure.
Status run_ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string line;
  for (const std::string& a : argv) {
    line += (line.empty() ? "" : " ") + a;
  }
  const std::string command = line + " 2>&1";
  FILE* out = ::popen(command.c_str(), "r");
  if (out == nullptr) {
    return errno_status("cannot run " + line, errno);
  }
  std::string said;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, out) != nullptr) {
    said += buffer;
  }
  const int status = ::pclose(out);
  if (status != 0) {
    while (!said.empty() && said.back() == '\n') {
      said.pop_back();
    }
    return unsupported(
        fmt::format("'{}' failed: {} (network namespaces need iproute2 and "
                    "root)",
                    line, said.empty() ? "no output" : said));
  }
  return {};
}

// The cluster's bridge on 10.177.S.254/24 and each node's namespace, linked to it by a
// veth pair (the node's end is its eth0 on 10.177.S.I/24).
Status make_network(const SimCluster& cluster) {
  const std::string bridge = cluster.bridge_name();
  FTMPI_RETURN_IF_ERROR(run_ip({"link", "add", bridge, "type", "bridge"}));
  FTMPI_RETURN_IF_ERROR(
      run_ip({"addr", "add", fmt::format("10.177.{}.254/24", cluster.subnet), "dev", bridge}));
  FTMPI_RETURN_IF_ERROR(run_ip({"link", "set", bridge, "up"}));
  for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
    const SimNode& node = cluster.nodes[i];
    const std::string ns = cluster.netns_name(node);
    const std::string host_end = fmt::format("fv{}-{}", cluster.subnet, i + 1);
    FTMPI_RETURN_IF_ERROR(run_ip({"netns", "add", ns}));
    FTMPI_RETURN_IF_ERROR(
        run_ip({"link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", ns}));
    FTMPI_RETURN_IF_ERROR(run_ip({"link", "set", host_end, "master", bridge, "up"}));
    FTMPI_RETURN_IF_ERROR(run_ip({"-n", ns, "addr", "add", node.address + "/24", "dev", "eth0"}));
    FTMPI_RETURN_IF_ERROR(run_ip({"-n", ns, "link", "set", "eth0", "up"}));
    FTMPI_RETURN_IF_ERROR(run_ip({"-n", ns, "link", "set", "lo", "up"}));
  }
  return {};
}

json to_json(const SimCluster& c) {
  json nodes = json::array();
  for (const SimNode& n : c.nodes) {
    nodes.push_back({{"name", n.name}, {"address", n.address}, {"role", role_name(n.role)}});
  }
  return {{"format", "ftmpi-cluster"}, {"version", 1},     {"name", c.name},
          {"subnet", c.subnet},        {"cpus", c.cpus},   {"memory_mb", c.memory_mb},
          {"disk_mb", c.disk_mb},      {"netns", c.netns}, {"nodes", nodes}};
}

Result<SimCluster> from_json(const json& j, const std::string& root) {
  if (j.value("format", "") != "ftmpi-cluster" || j.value("version", 0) != 1) {
    return corrupt(
        fmt::format("{}/{} is not an ftmpi-cluster state of version 1", root, k_state_file));
  }
  SimCluster c;
  c.root = root;
  c.name = j.at("name").get<std::string>();
  c.subnet = j.at("subnet").get<int>();
  c.cpus = j.at("cpus").get<int>();
  c.memory_mb = j.at("memory_mb").get<std::int64_t>();
  c.disk_mb = j.value("disk_mb", std::int64_t{0});
  c.netns = j.value("netns", false);
  for (const json& n : j.at("nodes")) {
    SimNode node;
    node.name = n.at("name").get<std::string>();
    node.address = n.at("address").get<std::string>();
    const std::string role = n.at("role").get<std::string>();
    node.role = role == "spare"      ? NodeRole::spare
                : role == "excluded" ? NodeRole::excluded
                                     : NodeRole::active;
    c.nodes.push_back(node);
  }
  return c;
}

}  // namespace

std::string_view role_name(NodeRole role) noexcept {
  switch (role) {
    case NodeRole::active:
      return "active";
    case NodeRole::spare:
      return "spare";
    case NodeRole::excluded:
      return "excluded";
  }
  return "?";
}

std::string SimCluster::node_dir(const SimNode& node) const {
  return (fs::path(root) / "nodes" / node.name).string();
}

const SimNode* SimCluster::find(const std::string& node) const {
  for (const SimNode& n : nodes) {
    if (n.name == node) {
      return &n;
    }
  }
  return nullptr;
}

std::string SimCluster::mpi_network() const {
  return netns ? fmt::format("10.177.{}.0/24", subnet) : std::string("lo");
}

std::string hostfile_text(const SimCluster& cluster, int slots) {
  std::string text;
  for (const SimNode& node : cluster.nodes) {
    if (node.role == NodeRole::active) {
      text += fmt::format("{} slots={}\n", node.name, slots > 0 ? slots : cluster.slots());
    }
  }
  return text;
}

std::string cluster_root() {
  return env_or("FTMPI_CLUSTER_ROOT", "/run/ftmpi/clusters");
}

std::string node_cgroup_relative(const SimCluster& cluster, const SimNode& node) {
  return fmt::format("ftmpi/{}/{}", cluster.name, node.name);
}

std::string node_cgroup(const std::string& controller, const SimCluster& cluster,
                        const SimNode& node) {
  return (fs::path(cgroup_root()) / controller / node_cgroup_relative(cluster, node)).string();
}

Status save_cluster(const SimCluster& cluster) {
  std::error_code ec;
  fs::create_directories(cluster.root, ec);
  if (ec) {
    return io_error(fmt::format("cannot create {}: {}", cluster.root, ec.message()));
  }
  const fs::path path = fs::path(cluster.root) / k_state_file;
  const fs::path tmp = fs::path(cluster.root) / (std::string(k_state_file) + ".tmp");
  FTMPI_RETURN_IF_ERROR(write_file(tmp, to_json(cluster).dump(2) + "\n"));
  fs::rename(tmp, path, ec);
  if (ec) {
    return io_error(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
  return {};
}

Status check_cluster_name(const std::string& name) {
  // A directory under the clusters' root and the prefix of host names: nothing that
  // could reach outside it ("..", "/") or that a host name cannot hold.
  if (!std::regex_match(name, std::regex("[a-z][a-z0-9]{0,15}"))) {
    return invalid_argument(fmt::format(
        "cluster name '{}': use 1 to 16 lower-case letters and digits, starting with a letter",
        name));
  }
  return {};
}

Result<SimCluster> load_cluster(const std::string& name) {
  FTMPI_RETURN_IF_ERROR(check_cluster_name(name));
  const fs::path root = fs::path(cluster_root()) / name;
  std::ifstream in(root / k_state_file);
  if (!in) {
    return not_found(
        fmt::format("no cluster named '{}' (ftmpi-cluster up --name {} makes one)", name, name));
  }
  try {
    return from_json(json::parse(in), root.string());
  } catch (const std::exception& e) {
    return corrupt(fmt::format("{}: {}", (root / k_state_file).string(), e.what()));
  }
}

std::vector<std::string> list_clusters() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : ftmpi::directory_entries(cluster_root(), ec)) {
    if (fs::exists(entry.path() / k_state_file, ec)) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<SimCluster> create_cluster(const SimClusterSpec& spec) {
  FTMPI_RETURN_IF_ERROR(check_cluster_name(spec.name));
  if (spec.nodes < 1 || spec.spares < 0 || spec.nodes + spec.spares > k_max_nodes) {
    return invalid_argument(
        fmt::format("{} nodes and {} spares: a simulated cluster has 1 to {} nodes in all",
                    spec.nodes, spec.spares, k_max_nodes));
  }
  if (::geteuid() != 0) {
    return unsupported(
        "a simulated cluster needs root (cgroups, /etc/hosts, namespaces); run as root");
  }
  std::error_code ec;
  if (!fs::exists(fs::path(cgroup_root()) / "memory" / "cgroup.procs", ec)) {
    return unsupported(fmt::format(
        "no cgroup v1 memory controller under {}: simulated nodes need cgroup v1 (memory, "
        "cpu, pids, freezer)",
        cgroup_root()));
  }
  SimCluster cluster;
  cluster.name = spec.name;
  cluster.root = (fs::path(cluster_root()) / spec.name).string();
  if (fs::exists(fs::path(cluster.root) / k_state_file, ec)) {
    return invalid_argument(
        fmt::format("a cluster named '{}' is up already (ftmpi-cluster down --name {} first)",
                    spec.name, spec.name));
  }
  const std::set<int> used = used_subnets();
  for (int s = 1; s < 255 && cluster.subnet == 0; ++s) {
    if (used.count(s) == 0) {
      cluster.subnet = s;
    }
  }
  if (cluster.subnet == 0) {
    return unsupported("no free 127.77.S.0/24 subnet is left in /etc/hosts");
  }
  cluster.cpus = spec.cpus;
  cluster.memory_mb = spec.memory_mb;
  cluster.disk_mb = spec.disk_mb;
  cluster.netns = spec.netns;
  for (int i = 1; i <= spec.nodes + spec.spares; ++i) {
    SimNode node;
    node.name = fmt::format("{}-n{}", spec.name, i);
    node.address = fmt::format("{}.{}.{}", spec.netns ? "10.177" : "127.77", cluster.subnet, i);
    node.role = i <= spec.nodes ? NodeRole::active : NodeRole::spare;
    cluster.nodes.push_back(node);
  }
  // The state first: whatever fails later, destroy_cluster() finds what to remove.
  Status made = save_cluster(cluster);
  if (made.ok()) {
    made = add_host_lines(cluster);
  }
  if (made.ok() && cluster.netns) {
    made = make_network(cluster);
  }
  for (const SimNode& node : cluster.nodes) {
    if (made.ok()) {
      made = make_cgroups(cluster, node);
    }
    if (made.ok()) {
      made = make_node_dirs(cluster, node);
    }
  }
  if (!made.ok()) {
    (void)destroy_cluster(spec.name);
    return made;
  }
  return cluster;
}

Status destroy_cluster(const std::string& name) {
  auto loaded = load_cluster(name);
  if (!loaded.ok()) {
    return loaded.status();
  }
  const SimCluster& cluster = loaded.value();
  Status first;
  auto keep = [&first](const Status& s) {
    if (first.ok() && !s.ok()) {
      first = s;
    }
  };
  for (const SimNode& node : cluster.nodes) {
    keep(kill_node(cluster, node));
  }
  std::error_code ec;
  for (const char* controller : k_controllers) {
    const fs::path base = fs::path(cgroup_root()) / controller / "ftmpi";
    for (const SimNode& node : cluster.nodes) {
      const fs::path dir = node_cgroup(controller, cluster, node);
      if (fs::exists(dir, ec) && ::rmdir(dir.c_str()) != 0) {
        keep(errno_status("cannot remove the cgroup " + dir.string(), errno));
      }
    }
    ::rmdir((base / name).c_str());
    ::rmdir(base.c_str());  // only when no other cluster uses it
  }
  keep(remove_host_lines(name));
  if (cluster.netns) {
    // Deleting a namespace deletes its veth pair; ip's complaints about what a cluster left
    // half made never had are not errors.
    for (const SimNode& node : cluster.nodes) {
      if (fs::exists(fs::path("/run/netns") / cluster.netns_name(node), ec)) {
        keep(run_ip({"netns", "del", cluster.netns_name(node)}));
      }
    }
    if (fs::exists(fs::path("/sys/class/net") / cluster.bridge_name(), ec)) {
      keep(run_ip({"link", "del", cluster.bridge_name()}));
    }
  }
  if (cluster.disk_mb > 0) {
    for (const SimNode& node : cluster.nodes) {
      const fs::path local = fs::path(cluster.node_dir(node)) / "local";
      if (::umount2(local.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        keep(errno_status("cannot unmount " + local.string(), errno));
      }
    }
  }
  if (first.ok()) {
    fs::remove_all(cluster.root, ec);
    if (ec) {
      keep(io_error(fmt::format("cannot remove {}: {}", cluster.root, ec.message())));
    }
  }
  return first;
}

Result<std::pair<SimCluster, SimNode>> find_node(const std::string& host) {
  for (const std::string& name : list_clusters()) {
    auto cluster = load_cluster(name);
    if (!cluster.ok()) {
      continue;
    }
    if (const SimNode* node = cluster.value().find(host)) {
      return std::pair<SimCluster, SimNode>(cluster.value(), *node);
    }
  }
  return not_found(fmt::format("no simulated cluster has a node named '{}'", host));
}

Status enter_node(const SimCluster& cluster, const SimNode& node) {
  const std::string pid = std::to_string(::getpid());
  for (const char* controller : k_controllers) {
    FTMPI_RETURN_IF_ERROR(
        write_file(fs::path(node_cgroup(controller, cluster, node)) / "cgroup.procs", pid));
  }
  if (cluster.netns) {
    const std::string ns = (fs::path("/run/netns") / cluster.netns_name(node)).string();
    const int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return errno_status("cannot open the network namespace " + ns, errno);
    }
    const int entered = ::setns(fd, CLONE_NEWNET);
    const int err = errno;
    ::close(fd);
    if (entered != 0) {
      return errno_status("cannot enter the network namespace " + ns, err);
    }
  }
  if (::unshare(CLONE_NEWUTS) != 0) {
    return errno_status("cannot make a UTS namespace for node " + node.name, errno);
  }
  if (::sethostname(node.name.c_str(), node.name.size()) != 0) {
    return errno_status("cannot name the host " + node.name, errno);
  }
  const std::string dir = cluster.node_dir(node);
  ::setenv("FTMPI_SYSROOT", (fs::path(dir) / "sysroot").c_str(), 1);
  ::setenv("FTMPI_NODE_CGROUP", node_cgroup_relative(cluster, node).c_str(), 1);
  ::setenv("FTMPI_NODE_DIR", (fs::path(dir) / "local").c_str(), 1);
  // The node's /tmp: Open MPI's session directories (ompi.HOST.UID) of the node's
  // daemons and ranks go with the node, also those a killed job leaves.
  ::setenv("TMPDIR", (fs::path(dir) / "tmp").c_str(), 1);
  ::setenv("FTMPI_NODE", node.name.c_str(), 1);
  ::setenv("FTMPI_CLUSTER", cluster.name.c_str(), 1);
  return {};
}

std::vector<pid_t> node_processes(const SimCluster& cluster, const SimNode& node) {
  return read_pids(fs::path(node_cgroup("pids", cluster, node)) / "cgroup.procs");
}

Status kill_node(const SimCluster& cluster, const SimNode& node) {
  // A frozen node cannot die: thaw it first.
  const fs::path freezer = fs::path(node_cgroup("freezer", cluster, node)) / "freezer.state";
  std::error_code ec;
  if (fs::exists(freezer, ec)) {
    (void)write_file(freezer, "THAWED");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::vector<pid_t> pids = node_processes(cluster, node);
    for (const char* controller : {"memory", "cpu", "freezer"}) {
      const auto more =
          read_pids(fs::path(node_cgroup(controller, cluster, node)) / "cgroup.procs");
      pids.insert(pids.end(), more.begin(), more.end());
    }
    if (pids.empty()) {
      return {};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return internal_error(fmt::format("{} processes of node {} survive SIGKILL (pid {})",
                                        pids.size(), node.name, pids.front()));
    }
    for (const pid_t pid : pids) {
      if (pid != ::getpid()) {
        ::kill(pid, SIGKILL);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

NodeUsage node_usage(const SimCluster& cluster, const SimNode& node) {
  NodeUsage usage;
  usage.processes = static_cast<int>(node_processes(cluster, node).size());
  const fs::path memory = node_cgroup("memory", cluster, node);
  // What counts towards the node's OOM: its working set, less the file cache the
  // kernel reclaims first (util/cgroup_memory.hpp).
  usage.memory_bytes = read_cgroup_memory(memory.string()).working_set();
  const std::string oom = read_file(memory / "memory.oom_control");
  if (const auto at = oom.find("oom_kill "); at != std::string::npos) {
    usage.oom_kills = std::atol(oom.c_str() + at + 9);
  }
  const fs::path dir = cluster.node_dir(node);
  const long pid = std::atol(read_file(fs::path(dir) / k_noded_pid_file).c_str());
  // Alive: a process that is no zombie ("pid (comm) S ...").
  const char state = pid > 0 ? proc_state(fmt::format("/proc/{}/stat", pid)) : '?';
  if (state != '?' && state != 'Z' && state != 'X') {
    usage.daemon = static_cast<pid_t>(pid);
  }
  usage.heartbeat_age = seconds_since_written((fs::path(dir) / k_noded_heartbeat_file).string());
  return usage;
}

bool node_answers(const SimCluster& cluster, const SimNode& node, double grace_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
  for (;;) {
    const NodeUsage usage = node_usage(cluster, node);
    if (usage.alive()) {
      return true;
    }
    if (usage.daemon == 0 || std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace ftmpi
