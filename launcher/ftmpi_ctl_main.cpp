// ftmpi-ctl: talks to a running ftmpi job, and looks at its checkpoints.  See
// docs/ftmpi-ctl.md.
//
//   ftmpi-ctl checkpoint --job DIR [--wait SECONDS]
//   ftmpi-ctl migrate --job DIR --node NODE [--to SPARE] [--wait SECONDS]
//   ftmpi-ctl list --job DIR
//   ftmpi-ctl status --job DIR
//   ftmpi-ctl verify CHECKPOINT
//
// DIR is the job's checkpoint directory (ftmpi-launch --ckpt-dir).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ckpt/job_file.hpp"
#include "ckpt/manifest.hpp"
#include "ftmpi/version.h"
#include "node_pool.hpp"
#include "util/cli_checks.hpp"
#include "util/exit_codes.hpp"
#include "util/files.hpp"
#include "util/tool_main.hpp"

namespace {

namespace fs = std::filesystem;
using ftmpi::k_exit_cannot_create;
using ftmpi::k_exit_corrupt;
using ftmpi::k_exit_no_input;
using ftmpi::k_exit_temporary;
using ftmpi::k_exit_unavailable;
using ftmpi::k_exit_usage;

std::uint64_t newest_complete(const std::string& dir) {
  std::uint64_t newest = 0;
  for (const ftmpi::CheckpointEntry& c : ftmpi::list_checkpoints(dir)) {
    if (c.complete) {
      newest = c.epoch;
    }
  }
  return newest;
}

// Whether the job's launcher still runs.
bool launcher_alive(const ftmpi::JobInfo& job) {
  return ::kill(static_cast<pid_t>(job.launcher_pid), 0) == 0;
}

// The launcher that runs the job writing into `dir`, if it is still running.
bool job_running(const std::string& dir) {
  auto job = ftmpi::read_job_info(dir);
  return job.ok() && launcher_alive(job.value());
}

// Up to `wait` seconds until `done()` (which prints the result) while the job runs.
int wait_for(const std::string& dir, double wait, const char* what,
             const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      return 0;
    }
    if (!job_running(dir)) {
      std::fprintf(stderr, "ftmpi-ctl: the job ended before %s\n", what);
      return k_exit_unavailable;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "ftmpi-ctl: %s did not happen within %g s\n", what, wait);
  return k_exit_temporary;
}

int checkpoint(const std::string& dir, double wait) {
  if (std::error_code ec; !fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "ftmpi-ctl: %s is not a job's checkpoint directory\n", dir.c_str());
    return k_exit_no_input;
  }
  auto job = ftmpi::read_job_info(dir);
  if (!job.ok() && job.status().code() == ftmpi::StatusCode::corrupt) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", job.status().message().c_str());
    return k_exit_corrupt;
  }
  if (!job.ok() || !launcher_alive(job.value())) {
    std::fprintf(stderr,
                 "ftmpi-ctl: no running job writes checkpoints to %s (it has ended, or it "
                 "was not started with --mode transparent)\n",
                 dir.c_str());
    return k_exit_unavailable;
  }
  const std::uint64_t before = newest_complete(dir);
  if (const ftmpi::Status asked = ftmpi::write_file_atomically(
          (fs::path(dir) / ftmpi::k_checkpoint_request_file).string(), "checkpoint\n");
      !asked.ok()) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", asked.message().c_str());
    return k_exit_cannot_create;
  }
  if (wait <= 0) {
    std::printf("checkpoint requested\n");
    return 0;
  }
  return wait_for(dir, wait, "the checkpoint", [&] {
    for (const ftmpi::CheckpointEntry& c : ftmpi::list_checkpoints(dir)) {
      if (c.complete && c.epoch > before) {
        std::printf("%s\n", c.path.c_str());
        return true;
      }
    }
    return false;
  });
}

// ftmpi-ctl migrate: checked against the job and its cluster here, carried out by the
// job's proxies and its launcher (docs/migration.md).
int migrate(const std::string& dir, const std::string& node, const std::string& to, double wait) {
  if (std::error_code ec; !fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "ftmpi-ctl: %s is not a job's checkpoint directory\n", dir.c_str());
    return k_exit_no_input;
  }
  auto job = ftmpi::read_job_info(dir);
  if (!job.ok() && job.status().code() == ftmpi::StatusCode::corrupt) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", job.status().message().c_str());
    return k_exit_corrupt;
  }
  if (!job.ok() || !launcher_alive(job.value())) {
    std::fprintf(stderr, "ftmpi-ctl: no running job writes checkpoints to %s\n", dir.c_str());
    return k_exit_unavailable;
  }
  auto pool = ftmpi::open_job_pool(dir, job.value());
  if (!pool.ok() || !pool.value()) {
    std::fprintf(stderr,
                 "ftmpi-ctl: the job in %s does not run on nodes with spares (ftmpi-launch "
                 "--cluster NAME, or --hostfile FILE --spares K): there is nowhere to migrate "
                 "to%s%s\n",
                 dir.c_str(), pool.ok() ? "" : ": ",
                 pool.ok() ? "" : pool.status().message().c_str());
    return k_exit_unavailable;
  }
  const ftmpi::NodePool& nodes = *pool.value();
  const auto& ranks = job.value().rank_nodes;
  if (std::find(ranks.begin(), ranks.end(), node) == ranks.end()) {
    std::fprintf(stderr,
                 "ftmpi-ctl: no rank of the job runs on node %s (ftmpi-ctl status --job %s)\n",
                 node.c_str(), dir.c_str());
    return k_exit_usage;
  }
  // No spare named: ftmpi-launch takes the healthiest that is up when the request comes
  // ("-"); one must be up now.
  const auto spare =
      std::find_if(nodes.nodes().begin(), nodes.nodes().end(), [&](const ftmpi::PoolNode& n) {
        return n.role == ftmpi::NodeRole::spare && (to.empty() ? nodes.alive(n) : n.name == to);
      });
  const std::string dest = to.empty() ? std::string("-") : to;
  const std::string where = to.empty() ? std::string("the healthiest spare") : to;
  if (spare == nodes.nodes().end()) {
    std::fprintf(
        stderr, "ftmpi-ctl: %s\n",
        to.empty() ? "no spare node is up"
                   : fmt::format("{} is not a spare node of the job's {}", to, nodes.description())
                         .c_str());
    return to.empty() ? k_exit_temporary : k_exit_usage;
  }
  if (!nodes.alive(*spare)) {
    std::fprintf(stderr, "ftmpi-ctl: the spare node %s is down\n", to.c_str());
    return k_exit_temporary;
  }
  const int before = job.value().migrations;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (const ftmpi::Status asked =
          ftmpi::write_file_atomically((fs::path(dir) / ftmpi::k_migrate_request_file).string(),
                                       fmt::format("{} {} {:.3f}\n", node, dest, now));
      !asked.ok()) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", asked.message().c_str());
    return k_exit_cannot_create;
  }
  if (wait <= 0) {
    std::printf("migration of node %s to %s requested\n", node.c_str(), where.c_str());
    return 0;
  }
  // The node that took the ranks: where the first rank of `node` runs now.
  const auto first =
      static_cast<std::size_t>(std::find(ranks.begin(), ranks.end(), node) - ranks.begin());
  return wait_for(dir, wait, "the migration", [&] {
    auto current = ftmpi::read_job_info(dir);
    if (current.ok() && current.value().migrations > before) {
      const auto& now_on = current.value().rank_nodes;
      std::printf("node %s migrated to %s\n", node.c_str(),
                  first < now_on.size() ? now_on[first].c_str() : where.c_str());
      return true;
    }
    return false;
  });
}

int list(const std::string& dir) {
  if (std::error_code ec; !fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "ftmpi-ctl: %s is not a job's checkpoint directory\n", dir.c_str());
    return k_exit_no_input;
  }
  std::printf("%-8s %-10s %12s %10s %10s  %s\n", "epoch", "state", "bytes", "quiesce", "dump",
              "path");
  for (const ftmpi::CheckpointEntry& c : ftmpi::list_checkpoints(dir)) {
    auto manifest = ftmpi::read_manifest(c.path);
    if (manifest.ok()) {
      const ftmpi::Manifest& m = manifest.value();
      std::printf("%-8llu %-10s %12llu %8.1fms %8.1fms  %s\n",
                  static_cast<unsigned long long>(c.epoch), "complete",
                  static_cast<unsigned long long>(m.bytes), m.quiesce_ms, m.dump_ms,
                  c.path.c_str());
    } else {
      std::printf("%-8llu %-10s %12s %10s %10s  %s\n", static_cast<unsigned long long>(c.epoch),
                  "incomplete", "-", "-", "-", c.path.c_str());
    }
  }
  return 0;
}

int verify(const std::string& dir) {
  auto manifest = ftmpi::read_manifest(dir);
  if (!manifest.ok()) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", manifest.status().message().c_str());
    return manifest.status().code() == ftmpi::StatusCode::not_found ? k_exit_no_input
                                                                    : k_exit_corrupt;
  }
  const ftmpi::Status ok = ftmpi::verify_checkpoint(dir, manifest.value());
  if (!ok.ok()) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", ok.message().c_str());
    return k_exit_corrupt;
  }
  std::size_t files = 0;
  for (const auto& r : manifest.value().ranks) {
    files += r.files.size();
  }
  std::printf("%s: checkpoint %llu is valid (%zu ranks, %zu files, %llu bytes)\n", dir.c_str(),
              static_cast<unsigned long long>(manifest.value().epoch),
              manifest.value().ranks.size(), files,
              static_cast<unsigned long long>(manifest.value().bytes));
  return 0;
}

// `seconds` since the epoch as local time in `format`.
std::string local_time(double seconds, const char* format) {
  const auto when = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::localtime_r(&when, &tm);
  char text[32] = {};
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

// The job: running or how it ended, its ranks and their nodes, the cluster's nodes, its
// checkpoints and its roll-backs.
int status(const std::string& dir) {
  auto info = ftmpi::read_job_info(dir);
  if (!info.ok()) {
    std::fprintf(stderr, "ftmpi-ctl: %s\n", info.status().message().c_str());
    return info.status().code() == ftmpi::StatusCode::corrupt ? k_exit_corrupt : k_exit_no_input;
  }
  const ftmpi::JobInfo& job = info.value();
  std::string state = job.state;
  if (job.state == "running" && !launcher_alive(job)) {
    state = "ended without a word (its launcher is gone)";
  } else if (job.state == "running") {
    state = fmt::format("running (ftmpi-launch pid {})", job.launcher_pid);
  } else if (job.exit_code >= 0) {
    state += fmt::format(" (exit {})", job.exit_code);
  }
  const std::vector<ftmpi::CheckpointEntry> checkpoints = ftmpi::list_checkpoints(dir);
  std::string command = "-";
  const ftmpi::CheckpointEntry* newest = nullptr;
  std::size_t complete = 0;
  for (const ftmpi::CheckpointEntry& c : checkpoints) {
    if (c.complete) {
      newest = &c;
      ++complete;
    }
  }
  auto manifest = newest != nullptr ? ftmpi::read_manifest(newest->path)
                                    : ftmpi::Result<ftmpi::Manifest>(ftmpi::not_found(""));
  if (manifest.ok()) {
    command = manifest.value().command;
  }
  fmt::print("job          {}\n", fs::absolute(dir).lexically_normal().string());
  fmt::print("state        {}\n", state);
  fmt::print("program      {}\n", command);
  fmt::print("ranks        {}\n", job.ranks);
  if (manifest.ok()) {
    fmt::print("checkpoints  {} complete; newest {} ({}, {:.1f} MB)\n", complete,
               fs::path(newest->path).filename().string(),
               local_time(manifest.value().time, "%Y-%m-%d %H:%M:%S"),
               static_cast<double>(manifest.value().bytes) / 1e6);
  } else {
    fmt::print("checkpoints  none complete\n");
  }
  fmt::print("roll-backs   {}\n", job.rollbacks);
  fmt::print("migrations   {}\n", job.migrations);
  for (const std::string& e : job.events) {
    const auto text = e.find(' ');
    fmt::print("  {}  {}\n", local_time(std::strtod(e.c_str(), nullptr), "%H:%M:%S"),
               text == std::string::npos ? e : e.substr(text + 1));
  }
  if (!job.rank_nodes.empty()) {
    fmt::print("\n{:<6} {}\n", "rank", "node");
    for (std::size_t r = 0; r < job.rank_nodes.size(); ++r) {
      fmt::print("{:<6} {}\n", r, job.rank_nodes[r].empty() ? "-" : job.rank_nodes[r]);
    }
  }
  auto pool = ftmpi::open_job_pool(dir, job);
  if (!pool.ok()) {
    fmt::print("\nnodes: {}\n", pool.status().message());
  } else if (pool.value()) {
    const ftmpi::NodePool& nodes = *pool.value();
    fmt::print("\nnodes of {}\n", nodes.description());
    fmt::print("{:<16} {:<9} {:<7} {:>9} {:>11}\n", "node", "role", "daemon", "processes",
               "risk score");
    // The predictor's failure-probability scores (docs/predictor.md): "NODE SCORE" lines.
    const std::map<std::string, double> scores =
        ftmpi::read_risk_scores((fs::path(dir) / ftmpi::k_risk_file).string());
    for (const ftmpi::PoolNode& node : nodes.nodes()) {
      const int processes = nodes.processes(node);
      const auto score = scores.find(node.name);
      fmt::print("{:<16} {:<9} {:<7} {:>9} {:>11}\n", node.name, ftmpi::role_name(node.role),
                 nodes.alive(node) ? "up" : "DOWN",
                 processes >= 0 ? std::to_string(processes) : std::string("-"),
                 score != scores.end() ? fmt::format("{:.2f}", score->second) : std::string("-"));
    }
  }
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app("Controls a running ftmpi job and inspects its checkpoints.", "ftmpi-ctl");
  app.set_version_flag("--version", fmt::format("ftmpi-ctl {}", FTMPI_VERSION_STRING));
  app.require_subcommand(1);
  std::string job;
  double wait = 0;
  auto* ckpt = app.add_subcommand("checkpoint", "Ask a running job for a checkpoint now");
  ckpt->add_option("--job", job, "The job's checkpoint directory (its --ckpt-dir)")
      ->required()
      ->type_name("DIR");
  ckpt->add_option("--wait", wait, "Wait up to SECONDS for it and print its directory")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("SECONDS");
  auto* mig = app.add_subcommand("migrate", "Move the ranks of a node to a spare node");
  std::string node;
  std::string to;
  mig->add_option("--job", job, "The job's checkpoint directory")->required()->type_name("DIR");
  mig->add_option("--node", node, "The node to leave")->required()->type_name("NODE");
  mig->add_option("--to", to,
                  "The spare node to go to (default: the healthiest spare, chosen by ftmpi-launch)")
      ->type_name("NODE");
  mig->add_option("--wait", wait, "Wait up to SECONDS until the ranks have moved")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("SECONDS");
  auto* ls = app.add_subcommand("list", "List a job's checkpoints");
  ls->add_option("--job", job, "The job's checkpoint directory")->required()->type_name("DIR");
  auto* st = app.add_subcommand("status", "A job's state, nodes, checkpoints and roll-backs");
  st->add_option("--job", job, "The job's checkpoint directory")->required()->type_name("DIR");
  std::string target;
  auto* check = app.add_subcommand("verify", "Check a checkpoint against its manifest");
  check->add_option("CHECKPOINT", target, "A checkpoint directory (DIR/ckpt-NNNNNN)")->required();
  if (const auto done = ftmpi::parse_command_line("ftmpi-ctl", app, argc, argv)) {
    return *done;
  }
  if (ckpt->parsed()) {
    return checkpoint(job, wait);
  }
  if (mig->parsed()) {
    return migrate(job, node, to, wait);
  }
  if (ls->parsed()) {
    return list(job);
  }
  if (st->parsed()) {
    return status(job);
  }
  return verify(target);
}

}  // namespace

int main(int argc, char** argv) {
  return ftmpi::tool_main("ftmpi-ctl", [&] { return run(argc, argv); });
}
