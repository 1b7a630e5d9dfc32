// ftmpi-inject: a fault on one node of a simulated cluster (ftmpi-cluster), real where
// the kernel allows (memory, CPU, disk, processes killed), simulated through the node's
// system root where it does not (memory errors, temperature, NIC errors).  See
// docs/ftmpi-inject.md.
//
//   ftmpi-inject (--job DIR | --cluster NAME) --node NODE --fault KIND
//                [--rate R] [--duration SECONDS] [--cpus N] [--trip CELSIUS] [--rank R]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ckpt/job_file.hpp"
#include "ftmpi/version.h"
#include "sim_cluster.hpp"
#include "util/cli_checks.hpp"
#include "util/clock.hpp"
#include "util/exit_codes.hpp"
#include "util/spawn.hpp"
#include "util/tool_main.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct FaultSpec {
  std::string kind;
  double rate = 0;       // per second: errors, MiB
  double duration = 30;  // seconds
  int cpus = 1;
  double trip = 95;  // degrees C
  int rank = -1;
  double hold = 0;  // mem-leak: seconds the memory stays held after it stopped growing
};

// What a fault did; `failure` says how the node failed (empty: it did not).
struct Outcome {
  std::string done;
  std::string failure;
};

struct Target {
  ftmpi::SimCluster cluster;
  ftmpi::SimNode node;
  [[nodiscard]] fs::path sysroot() const { return fs::path(cluster.node_dir(node)) / "sysroot"; }
  [[nodiscard]] fs::path local() const { return fs::path(cluster.node_dir(node)) / "local"; }
};

std::atomic<bool> g_stop{false};
void on_stop(int /*signal*/) {
  g_stop.store(true);
}

// Sleeps `seconds` unless stopped; false when stopped.
bool pause_for(double seconds) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    if (g_stop.load()) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !g_stop.load();
}

std::int64_t read_counter(const fs::path& path) {
  std::ifstream in(path);
  std::int64_t value = 0;
  in >> value;
  return value;
}

ftmpi::Status write_counter(const fs::path& path, std::int64_t value) {
  std::ofstream out(path);
  out << value << "\n";
  if (!out) {
    return ftmpi::io_error("cannot write " + path.string());
  }
  return {};
}

// The ground truth for training and evaluation: one JSON line per start and end of a
// fault, in the cluster's state directory.
void record(const Target& t, const FaultSpec& f, const char* event, const std::string& detail) {
  std::ofstream out(fs::path(t.cluster.root) / "faults.log", std::ios::app);
  out << fmt::format(R"({{"time": {:.3f}, "node": "{}", "kind": "{}", "event": "{}", "rate": {}, )"
                     R"("duration": {}, "detail": "{}"}})",
                     ftmpi::wall_seconds(), t.node.name, f.kind, event, f.rate, f.duration, detail)
      << "\n";
}

// One kind of fault.
class Fault {
 public:
  Fault() = default;
  Fault(const Fault&) = delete;
  Fault& operator=(const Fault&) = delete;
  Fault(Fault&&) = delete;
  Fault& operator=(Fault&&) = delete;
  virtual ~Fault() = default;
  // Injects it (until done, the duration is over, or SIGINT/SIGTERM); says what it did
  // and whether the node failed.
  virtual ftmpi::Result<Outcome> run(const Target& target, const FaultSpec& spec) = 0;
};

// A counter of the node's system root rising at `rate` per second for the duration;
// then the node fails: `last_file` is raised by one (an uncorrected memory error after
// the corrected ones) or, where there is none, the failure is the counter's (a NIC that
// goes down after its errors).
class CounterRamp final : public Fault {
 public:
  CounterRamp(std::string file, std::string last_file, std::string failure)
      : m_file(std::move(file)), m_last_file(std::move(last_file)), m_failure(std::move(failure)) {}
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& f) override {
    const fs::path path = t.sysroot() / m_file;
    const std::int64_t start = read_counter(path);
    const auto t0 = Clock::now();
    std::int64_t added = 0;
    double elapsed = 0;
    while (elapsed < f.duration && pause_for(0.1)) {
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      added = static_cast<std::int64_t>(std::floor(f.rate * std::min(elapsed, f.duration)));
      FTMPI_RETURN_IF_ERROR(write_counter(path, start + added));
    }
    Outcome out{fmt::format("{} +{}", m_file, added), ""};
    if (elapsed >= f.duration) {
      if (!m_last_file.empty()) {
        const fs::path last = t.sysroot() / m_last_file;
        FTMPI_RETURN_IF_ERROR(write_counter(last, read_counter(last) + 1));
        out.done += fmt::format(", {} +1", m_last_file);
      }
      out.failure = m_failure;
    }
    return out;
  }

 private:
  std::string m_file;
  std::string m_last_file;
  std::string m_failure;
};

// The node's temperature climbing linearly to the trip point over the duration: there
// the node shuts down.
class Thermal final : public Fault {
 public:
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& f) override {
    const fs::path path = t.sysroot() / "sys/class/thermal/thermal_zone0/temp";
    const double from = static_cast<double>(read_counter(path)) / 1000.0;
    const auto t0 = Clock::now();
    double now = from;
    double elapsed = 0;
    while (elapsed < f.duration && pause_for(0.1)) {
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      now = from + (f.trip - from) * std::min(elapsed / f.duration, 1.0);
      FTMPI_RETURN_IF_ERROR(write_counter(path, static_cast<std::int64_t>(now * 1000)));
    }
    Outcome out{fmt::format("temperature {:.1f} -> {:.1f} C", from, now), ""};
    if (elapsed >= f.duration) {
      out.failure = fmt::format("the node reached its trip point, {:.1f} C", f.trip);
    }
    return out;
  }
};

// Real load inside the node: this process joins it first.
ftmpi::Status enter(const Target& t) {
  return ftmpi::enter_node(t.cluster, t.node);
}

class CpuHog final : public Fault {
 public:
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& f) override {
    FTMPI_RETURN_IF_ERROR(enter(t));
    std::atomic<bool> done{false};
    std::vector<std::thread> burners;
    burners.reserve(static_cast<std::size_t>(f.cpus));
    for (int i = 0; i < f.cpus; ++i) {
      burners.emplace_back([&done] {
        volatile double x = 1;
        while (!done.load(std::memory_order_relaxed)) {
          x = x * 1.0000001 + 1e-9;
        }
      });
    }
    pause_for(f.duration);
    done.store(true);
    for (std::thread& b : burners) {
      b.join();
    }
    return Outcome{fmt::format("{} CPUs burned", f.cpus), ""};
  }
};

// Memory allocated and touched at `rate` MiB/s inside the node by a child process, held
// until the end.  When the node's OOM killer takes the child, the node has failed: that
// is recorded as the fault's `node_failed` event (the ground truth a prediction is
// measured against).  What else the OOM killer took is its choice, as on a real node.
class MemLeak final : public Fault {
 public:
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& f) override {
    const auto t0 = Clock::now();
    const pid_t child = ::fork();
    if (child < 0) {
      return ftmpi::errno_status("fork", errno);
    }
    if (child == 0) {
      if (!enter(t).ok()) {
        ::_exit(70);
      }
      leak(f, t0);
      ::_exit(0);
    }
    int status = 0;
    while (::waitpid(child, &status, WNOHANG) == 0) {
      if (!pause_for(0.1)) {
        ::kill(child, SIGTERM);  // ends its leak early, freeing the memory
        ::waitpid(child, &status, 0);
        break;
      }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const double mib = std::floor(f.rate * std::min(elapsed, f.duration));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      return Outcome{fmt::format("the node's OOM killer struck at about {:.0f} MiB", mib),
                     fmt::format("the node's memory is full: its OOM killer struck at about "
                                 "{:.0f} MiB",
                                 mib)};
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 70) {
      return ftmpi::internal_error("cannot enter node " + t.node.name);
    }
    return Outcome{fmt::format("{:.0f} MiB held", mib), ""};
  }

 private:
  static void leak(const FaultSpec& f, Clock::time_point t0) {
    std::vector<std::unique_ptr<char[]>> held;
    std::size_t mib = 0;
    double elapsed = 0;
    while (elapsed < f.duration && pause_for(0.1)) {
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      while (static_cast<double>(mib) < std::floor(f.rate * std::min(elapsed, f.duration))) {
        auto block = std::make_unique<char[]>(std::size_t{1} << 20);
        std::memset(block.get(), 1, std::size_t{1} << 20);
        held.push_back(std::move(block));
        ++mib;
      }
    }
    pause_for(f.hold);
  }
};

// A file in the node-local directory growing at `rate` MiB/s until the duration is over
// or the disk is full (the node's failure); removed at the end.
class DiskFill final : public Fault {
 public:
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& f) override {
    const fs::path file = t.local() / "ftmpi-inject-fill";
    std::ofstream out(file, std::ios::binary);
    const std::vector<char> block(std::size_t{1} << 20, 'x');
    const auto t0 = Clock::now();
    std::size_t mib = 0;
    double elapsed = 0;
    bool full = false;
    while (elapsed < f.duration && !full && pause_for(0.1)) {
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      while (static_cast<double>(mib) < std::floor(f.rate * std::min(elapsed, f.duration)) &&
             !full) {
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
        out.flush();
        full = !out;
        mib += full ? 0 : 1;
      }
    }
    out.close();
    std::error_code ec;
    fs::remove(file, ec);
    return Outcome{fmt::format("{} MiB written{}", mib, full ? " (disk full)" : ""),
                   full ? fmt::format("the node-local disk is full after {} MiB", mib) : ""};
  }
};

// One application process of the node (its rank, or the first) killed with SIGKILL:
// a process of an MPI rank that is not one of ftmpi's (proxy, helper, predictor).
class RankKill final : public Fault {
 public:
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& f) override {
    for (const pid_t pid : ftmpi::node_processes(t.cluster, t.node)) {
      bool app = false;
      int rank = -1;
      for (const std::string& variable : ftmpi::process_environment(pid)) {
        if (variable.rfind("OMPI_COMM_WORLD_RANK=", 0) == 0) {
          rank = std::atoi(variable.c_str() + 21);
          app = true;
        }
      }
      // Not ftmpi's own processes of the rank (its proxy, helper, the predictor).
      std::error_code ec;
      const std::string exe =
          fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec).filename().string();
      app = app && exe.rfind("ftmpi-", 0) != 0 && exe != "orted";
      if (app && (f.rank < 0 || f.rank == rank)) {
        ::kill(pid, SIGKILL);
        return Outcome{fmt::format("rank {} (pid {}) killed", rank, pid), ""};
      }
    }
    return ftmpi::not_found(fmt::format("no application process{} on node {}",
                                        f.rank >= 0 ? fmt::format(" of rank {}", f.rank) : "",
                                        t.node.name));
  }
};

class NodeLoss final : public Fault {
 public:
  ftmpi::Result<Outcome> run(const Target& t, const FaultSpec& /*f*/) override {
    FTMPI_RETURN_IF_ERROR(ftmpi::kill_node(t.cluster, t.node));
    return Outcome{"every process of the node killed", "the node was lost without warning"};
  }
};

std::unique_ptr<Fault> make_fault(const std::string& kind) {
  if (kind == "ecc-errors") {
    return std::make_unique<CounterRamp>("sys/devices/system/edac/mc/mc0/ce_count",
                                         "sys/devices/system/edac/mc/mc0/ue_count",
                                         "an uncorrected memory error");
  }
  if (kind == "nic-errors") {
    return std::make_unique<CounterRamp>("sys/class/net/sim0/statistics/rx_errors", "",
                                         "the node's network link went down");
  }
  if (kind == "thermal") {
    return std::make_unique<Thermal>();
  }
  if (kind == "cpu-hog") {
    return std::make_unique<CpuHog>();
  }
  if (kind == "mem-leak") {
    return std::make_unique<MemLeak>();
  }
  if (kind == "disk-fill") {
    return std::make_unique<DiskFill>();
  }
  if (kind == "rank-kill") {
    return std::make_unique<RankKill>();
  }
  if (kind == "node-loss") {
    return std::make_unique<NodeLoss>();
  }
  return nullptr;
}

int fail(const ftmpi::Status& status, int code) {
  std::fprintf(stderr, "ftmpi-inject: %s\n", status.message().c_str());
  return code;
}

int run(int argc, char** argv) {
  CLI::App app("Injects a fault on a node of a simulated cluster (ftmpi-cluster).", "ftmpi-inject");
  app.set_version_flag("--version", std::string("ftmpi-inject ") + FTMPI_VERSION_STRING);
  app.footer(
      "Kinds: ecc-errors (--rate corrected errors/s, then one uncorrected), nic-errors\n"
      "(--rate errors/s), thermal (to --trip C over --duration), cpu-hog (--cpus),\n"
      "mem-leak (--rate MiB/s, held), disk-fill (--rate MiB/s in the node-local\n"
      "directory), rank-kill (--rank, default the first found), node-loss.  Timed kinds\n"
      "run in the foreground for --duration seconds (SIGINT or SIGTERM end them early).\n"
      "Every fault is logged as a JSON line in the cluster's faults.log.");
  std::string job;
  std::string cluster_name;
  std::string node;
  FaultSpec spec;
  auto* job_opt = app.add_option("--job", job, "A job's checkpoint directory (names its cluster)")
                      ->type_name("DIR");
  app.add_option("--cluster", cluster_name, "The simulated cluster")->excludes(job_opt);
  app.add_option("--node", node, "The node")->required();
  app.add_option("--fault", spec.kind, "The fault kind")
      ->required()
      ->check(CLI::IsMember({"ecc-errors", "nic-errors", "thermal", "cpu-hog", "mem-leak",
                             "disk-fill", "rank-kill", "node-loss"}));
  app.add_option("--rate", spec.rate, "Errors or MiB per second")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--duration", spec.duration, "Seconds (default 30)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--cpus", spec.cpus, "cpu-hog: threads that burn (default 1)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--trip", spec.trip, "thermal: the final temperature (default 95)")
      ->check(ftmpi::finite());
  app.add_option("--rank", spec.rank, "rank-kill: the rank to kill");
  app.add_option("--hold", spec.hold,
                 "mem-leak: seconds the memory stays held once the duration is over "
                 "(default 0: freed at once)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e7));
  bool no_kill = false;
  app.add_flag("--no-kill", no_kill,
               "A failure (uncorrected memory error, trip point, link down, disk full) is "
               "recorded but kills nothing (to record training traces)");
  if (const auto done = ftmpi::parse_command_line("ftmpi-inject", app, argc, argv)) {
    return *done;
  }
  if (!job.empty()) {
    auto info = ftmpi::read_job_info(job);
    if (!info.ok()) {
      return fail(info.status(), info.status().code() == ftmpi::StatusCode::corrupt
                                     ? ftmpi::k_exit_corrupt
                                     : ftmpi::k_exit_no_input);
    }
    cluster_name = info.value().cluster;
    if (cluster_name.empty()) {
      return fail(ftmpi::unsupported(job + ": the job does not run on a simulated cluster"),
                  ftmpi::k_exit_unavailable);
    }
  }
  if (cluster_name.empty()) {
    return fail(ftmpi::invalid_argument("give --job DIR or --cluster NAME"), ftmpi::k_exit_usage);
  }
  auto cluster = ftmpi::load_cluster(cluster_name);
  if (!cluster.ok()) {
    return fail(cluster.status(), ftmpi::k_exit_no_input);
  }
  const ftmpi::SimNode* found = cluster.value().find(node);
  if (found == nullptr) {
    return fail(ftmpi::not_found(fmt::format("cluster {} has no node {}", cluster_name, node)),
                ftmpi::k_exit_no_input);
  }
  const Target target{cluster.value(), *found};
  for (const int sig : {SIGINT, SIGTERM}) {
    ::signal(sig, &on_stop);
  }
  auto fault = make_fault(spec.kind);
  record(target, spec, "start", "");
  auto done = fault->run(target, spec);
  if (!done.ok()) {
    record(target, spec, "failed", done.status().message());
    // Nothing to inject into (rank-kill on a node without the rank) is missing input.
    return fail(done.status(), done.status().code() == ftmpi::StatusCode::not_found
                                   ? ftmpi::k_exit_no_input
                                   : ftmpi::k_exit_software);
  }
  const Outcome& out = done.value();
  std::string said = out.done;
  if (!out.failure.empty()) {
    record(target, spec, "node_failed", out.failure);
    said += "; the node failed: " + out.failure;
    // A simulated failure takes the node down as the real one would; the kernel's own
    // (the OOM killer's, a node lost) has done what it does already.
    if (!no_kill && (spec.kind == "ecc-errors" || spec.kind == "nic-errors" ||
                     spec.kind == "thermal" || spec.kind == "disk-fill")) {
      if (const ftmpi::Status killed = ftmpi::kill_node(target.cluster, target.node);
          !killed.ok()) {
        record(target, spec, "failed", killed.message());
        return fail(killed, ftmpi::k_exit_software);
      }
      said += " (every process of the node killed)";
    }
  }
  record(target, spec, "end", out.done);
  std::printf("ftmpi-inject: %s on %s: %s\n", spec.kind.c_str(), node.c_str(), said.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ftmpi::tool_main("ftmpi-inject", [&] { return run(argc, argv); });
}
