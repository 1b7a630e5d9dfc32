// ftmpi-cluster: a cluster of simulated nodes on one machine, for tests, the demo and
// trying ftmpi without a cluster.  See docs/ftmpi-cluster.md.
//
//   ftmpi-cluster up [--name NAME] [--nodes N] [--spares K] [--cpus C] [--memory MB]
//   ftmpi-cluster down [--name NAME]
//   ftmpi-cluster status [--name NAME]
//   ftmpi-cluster hostfile [--name NAME] [--slots S]
//   ftmpi-cluster exec NODE [--] COMMAND [ARGS...]
//   ftmpi-cluster kill NODE
//   ftmpi-cluster agent [OPTIONS] HOST COMMAND...     (Open MPI's plm_rsh_agent)
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ftmpi/version.h"
#include "sim_cluster.hpp"
#include "util/cli_checks.hpp"
#include "util/exit_codes.hpp"
#include "util/files.hpp"
#include "util/shell.hpp"
#include "util/tool_main.hpp"

namespace {

namespace fs = std::filesystem;
using ftmpi::k_exit_cannot_create;
using ftmpi::k_exit_no_input;
using ftmpi::k_exit_software;
using ftmpi::k_exit_unavailable;
using ftmpi::k_exit_usage;

int exit_code_of(const ftmpi::Status& status) {
  switch (status.code()) {
    case ftmpi::StatusCode::invalid_argument:
      return k_exit_usage;
    case ftmpi::StatusCode::not_found:
      return k_exit_no_input;
    case ftmpi::StatusCode::unsupported:
      return k_exit_unavailable;
    case ftmpi::StatusCode::io_error:
      return k_exit_cannot_create;
    case ftmpi::StatusCode::corrupt:
      return ftmpi::k_exit_corrupt;
    default:
      return k_exit_software;
  }
}

int fail(const ftmpi::Status& status) {
  std::fprintf(stderr, "ftmpi-cluster: %s\n", status.message().c_str());
  return exit_code_of(status);
}

std::atomic<bool> g_stop{false};
void on_stop(int /*signal*/) {
  g_stop.store(true);
}

// The node daemon: lives in its node, beats once a second; its death is the node's.
int run_noded(const std::string& cluster_name, const std::string& node_name) {
  auto cluster = ftmpi::load_cluster(cluster_name);
  if (!cluster.ok()) {
    return fail(cluster.status());
  }
  const ftmpi::SimNode* node = cluster.value().find(node_name);
  if (node == nullptr) {
    return fail(ftmpi::not_found("no node " + node_name));
  }
  const fs::path dir = cluster.value().node_dir(*node);
  {
    std::ofstream pid(dir / ftmpi::k_noded_pid_file);
    pid << ::getpid() << "\n";
  }
  ::signal(SIGTERM, &on_stop);
  ::signal(SIGINT, &on_stop);
  while (!g_stop.load()) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      break;  // the cluster went down
    }
    (void)ftmpi::beat((dir / ftmpi::k_noded_heartbeat_file).string(),
                      std::to_string(std::time(nullptr)) + "\n");
    for (int i = 0; i < 10 && !g_stop.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return 0;
}

// Starts a node's daemon inside the node, detached; waits for its first heartbeat.
ftmpi::Status start_noded(const ftmpi::SimCluster& cluster, const ftmpi::SimNode& node) {
  const pid_t child = ::fork();
  if (child < 0) {
    return ftmpi::errno_status("fork", errno);
  }
  if (child == 0) {
    if (!ftmpi::enter_node(cluster, node).ok() || ::setsid() < 0) {
      ::_exit(1);
    }
    if (::fork() != 0) {
      ::_exit(0);
    }
    const int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) {
      ::dup2(null, fd);
    }
    ::execl("/proc/self/exe", "ftmpi-noded", "_noded", cluster.name.c_str(), node.name.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return ftmpi::internal_error("cannot start the daemon of node " + node.name);
  }
  for (int i = 0; i < 100; ++i) {
    if (ftmpi::node_usage(cluster, node).heartbeat_age >= 0) {
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ftmpi::internal_error("the daemon of node " + node.name + " did not start");
}

int up(const ftmpi::SimClusterSpec& spec) {
  auto made = ftmpi::create_cluster(spec);
  if (!made.ok()) {
    return fail(made.status());
  }
  for (const ftmpi::SimNode& node : made.value().nodes) {
    if (const ftmpi::Status started = start_noded(made.value(), node); !started.ok()) {
      (void)ftmpi::destroy_cluster(spec.name);
      return fail(started);
    }
  }
  fmt::print("cluster {}: {} nodes and {} spares up ({}/{})\n", spec.name, spec.nodes, spec.spares,
             ftmpi::cluster_root(), spec.name);
  return 0;
}

int down(const std::string& name) {
  if (const ftmpi::Status status = ftmpi::destroy_cluster(name); !status.ok()) {
    return fail(status);
  }
  fmt::print("cluster {}: down\n", name);
  return 0;
}

int status(const std::string& only) {
  std::vector<std::string> names =
      only.empty() ? ftmpi::list_clusters() : std::vector<std::string>{only};
  if (names.empty()) {
    fmt::print("no simulated cluster is up (ftmpi-cluster up)\n");
    return 0;
  }
  int rc = 0;
  for (const std::string& name : names) {
    auto cluster = ftmpi::load_cluster(name);
    if (!cluster.ok()) {  // the others are still listed
      rc = fail(cluster.status());
      continue;
    }
    const ftmpi::SimCluster& c = cluster.value();
    fmt::print("cluster {} ({}): cpus per node {}, memory per node {}, local disk {}, network {}\n",
               c.name, c.root, c.cpus > 0 ? std::to_string(c.cpus) : "unlimited",
               c.memory_mb > 0 ? fmt::format("{} MiB", c.memory_mb) : "unlimited",
               c.disk_mb > 0 ? fmt::format("{} MiB", c.disk_mb) : "the host's",
               c.netns ? fmt::format("a namespace per node on bridge {}", c.bridge_name())
                       : std::string("the host's loopback"));
    fmt::print("{:<16} {:<16} {:<9} {:<8} {:>9} {:>12}\n", "node", "address", "role", "daemon",
               "processes", "memory MiB");
    for (const ftmpi::SimNode& node : c.nodes) {
      const ftmpi::NodeUsage u = ftmpi::node_usage(c, node);
      fmt::print("{:<16} {:<16} {:<9} {:<8} {:>9} {:>12}\n", node.name, node.address,
                 ftmpi::role_name(node.role), u.alive() ? "up" : "DOWN", u.processes,
                 u.memory_bytes >= 0
                     ? fmt::format("{:.1f}", static_cast<double>(u.memory_bytes) / 1048576.0)
                     : "-");
    }
  }
  return rc;
}

int hostfile(const std::string& name, int slots) {
  auto cluster = ftmpi::load_cluster(name);
  if (!cluster.ok()) {
    return fail(cluster.status());
  }
  fmt::print("{}", ftmpi::hostfile_text(cluster.value(), slots));
  return 0;
}

// Runs `argv` in the node (execs; returns only on failure).
int exec_in(const std::string& host, const std::vector<std::string>& argv, bool shell) {
  auto found = ftmpi::find_node(host);
  if (!found.ok()) {
    return fail(found.status());
  }
  // A node that is down runs nothing (like ssh to a dead host); a node that is only
  // slow to answer runs it late (like ssh to a loaded one).
  if (!ftmpi::node_answers(found.value().first, found.value().second)) {
    std::fprintf(stderr, "ftmpi-cluster: node %s is down\n", host.c_str());
    return 255;
  }
  if (const ftmpi::Status entered = ftmpi::enter_node(found.value().first, found.value().second);
      !entered.ok()) {
    return fail(entered);
  }
  if (shell) {
    // Open MPI hands its agent one command line for a remote shell.
    std::string line;
    for (const std::string& word : argv) {
      line += (line.empty() ? "" : " ") + word;
    }
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
  } else {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
      args.push_back(
          const_cast<char*>(a.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    }
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
  }
  std::fprintf(stderr, "ftmpi-cluster: cannot run %s on %s: %s\n", argv[0].c_str(), host.c_str(),
               std::strerror(errno));
  return 127;
}

int kill_node(const std::string& host) {
  auto found = ftmpi::find_node(host);
  if (!found.ok()) {
    return fail(found.status());
  }
  if (const ftmpi::Status killed = ftmpi::kill_node(found.value().first, found.value().second);
      !killed.ok()) {
    return fail(killed);
  }
  fmt::print("node {}: every process killed\n", host);
  return 0;
}

int run(int argc, char** argv) {
  // The hidden daemon entry and the rsh agent take their arguments raw.
  if (argc >= 4 && std::strcmp(argv[1], "_noded") == 0) {
    return run_noded(argv[2], argv[3]);
  }
  if (argc >= 2 && std::strcmp(argv[1], "agent") == 0) {
    int i = 2;
    while (i < argc && argv[i][0] == '-') {  // rsh/ssh options Open MPI may add
      ++i;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "ftmpi-cluster agent: usage: ftmpi-cluster agent HOST COMMAND...\n");
      return k_exit_usage;
    }
    return exec_in(argv[i], std::vector<std::string>(argv + i + 1, argv + argc), true);
  }

  // exec NODE [--] COMMAND...: everything after NODE is the command's, options and all.
  if (argc >= 3 && std::strcmp(argv[1], "exec") == 0 && argv[2][0] != '-') {
    int i = 3;
    if (i < argc && std::strcmp(argv[i], "--") == 0) {
      ++i;
    }
    if (i >= argc) {
      std::fprintf(stderr, "ftmpi-cluster exec: no command given\n");
      return k_exit_usage;
    }
    return exec_in(argv[2], std::vector<std::string>(argv + i, argv + argc), false);
  }

  CLI::App app("Simulated cluster nodes on this machine, for ftmpi's tests and demo.",
               "ftmpi-cluster");
  app.set_version_flag("--version", std::string("ftmpi-cluster ") + FTMPI_VERSION_STRING);
  app.require_subcommand(1);
  app.footer(
      "Nodes are NAME-n1, NAME-n2, ...: names in /etc/hosts on 127.77.S.I, cgroups\n"
      "ftmpi/NAME/NODE (memory, cpu, pids, freezer), a node-local directory, a system\n"
      "root and a node daemon each.  Needs root.  Run a program on a node with\n"
      "`ftmpi-cluster exec NODE -- PROGRAM`, or a job across the nodes with\n"
      "`ftmpi-launch --cluster NAME`.  State: FTMPI_CLUSTER_ROOT (default\n"
      "/run/ftmpi/clusters).  Exit status: 0, 64 usage, 66 no such cluster or node,\n"
      "69 not possible here (not root, no cgroup v1), 70 internal error, 73 cannot create.");

  ftmpi::SimClusterSpec spec;
  auto* up_cmd = app.add_subcommand("up", "Make a cluster and start its node daemons");
  up_cmd->add_option("--name", spec.name, "Cluster name")->default_str("ftmpi");
  up_cmd->add_option("--nodes", spec.nodes, "Active nodes")
      ->default_str("2")
      ->check(CLI::Range(1, 64));
  up_cmd->add_option("--spares", spec.spares, "Spare nodes")
      ->default_str("0")
      ->check(CLI::Range(0, 63));
  up_cmd->add_option("--cpus", spec.cpus, "CPU limit per node (0: none)")
      ->check(CLI::Range(0, 1024));
  up_cmd->add_option("--memory", spec.memory_mb, "Memory limit per node in MiB (0: none)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  up_cmd
      ->add_option("--disk", spec.disk_mb,
                   "Node-local disk per node in MiB: a tmpfs of that size (0: a directory "
                   "on the host's disk)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30));
  up_cmd->add_flag("--netns", spec.netns,
                   "A network namespace per node, linked to a bridge of the cluster's "
                   "(10.177.S.I; MPI's traffic crosses real network devices)");

  std::string name = "ftmpi";
  auto* down_cmd = app.add_subcommand("down", "Kill everything on a cluster and remove it");
  down_cmd->add_option("--name", name, "Cluster name")->default_str("ftmpi");

  std::string status_name;
  auto* status_cmd = app.add_subcommand("status", "Nodes, roles, daemons, processes, memory");
  status_cmd->add_option("--name", status_name, "Only this cluster (default: all)");

  int slots = 0;
  auto* hostfile_cmd = app.add_subcommand("hostfile", "An Open MPI hostfile of the active nodes");
  hostfile_cmd->add_option("--name", name, "Cluster name")->default_str("ftmpi");
  hostfile_cmd->add_option("--slots", slots, "Slots per node (default: --cpus, else 2)");

  std::string node;
  auto* exec_cmd = app.add_subcommand("exec", "Run a command on a node: exec NODE [--] COMMAND...");
  exec_cmd->add_option("node", node, "Node name")->required();

  auto* kill_cmd = app.add_subcommand("kill", "Kill every process of a node (a node lost)");
  kill_cmd->add_option("node", node, "Node name")->required();

  app.add_subcommand("agent", "Open MPI's rsh agent: agent [OPTIONS] HOST COMMAND...");

  if (const auto done = ftmpi::parse_command_line("ftmpi-cluster", app, argc, argv)) {
    return *done;
  }
  if (up_cmd->parsed()) {
    return up(spec);
  }
  if (down_cmd->parsed()) {
    return down(name);
  }
  if (status_cmd->parsed()) {
    return status(status_name);
  }
  if (hostfile_cmd->parsed()) {
    return hostfile(name, slots);
  }
  if (exec_cmd->parsed()) {
    std::fprintf(stderr, "ftmpi-cluster exec: no command given\n");
    return k_exit_usage;
  }
  if (kill_cmd->parsed()) {
    return kill_node(node);
  }
  return k_exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
  return ftmpi::tool_main("ftmpi-cluster", [&] { return run(argc, argv); });
}
