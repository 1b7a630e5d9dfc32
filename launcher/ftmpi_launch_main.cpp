// ftmpi-launch: runs an MPI program under ftmpi.  See docs/ftmpi-launch.md.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ckpt/criu.hpp"
#include "ckpt/job_file.hpp"
#include "ckpt/manifest.hpp"
#include "classifier.hpp"
#include "hostfile.hpp"
#include "install_layout.hpp"
#include "job_launcher.hpp"
#include "launch_options.hpp"
#include "node_pool.hpp"
#include "process.hpp"
#include "program_lookup.hpp"
#include "sim_cluster.hpp"
#include "slurm_allocation.hpp"
#include "trace_path.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/job_dir.hpp"
#include "util/job_env.hpp"
#include "util/log.hpp"
#include "util/scope_guard.hpp"
#include "util/shell.hpp"
#include "util/spawn.hpp"

namespace {

using ftmpi::EarlyExit;
using ftmpi::k_exit_no_program;
using ftmpi::k_exit_software;
using ftmpi::k_exit_unavailable;
using ftmpi::k_exit_usage;
using ftmpi::LaunchMode;
using ftmpi::LaunchOptions;
using ftmpi::migration_states;
using ftmpi::remove_migration_states;

// Roll-backs after lost nodes before a job gives up.
constexpr int k_max_rollbacks = 8;

// Whether one of `args` (passed to mpirun) is one of `options` or starts with one.
bool any_option(const std::vector<std::string>& args,
                std::initializer_list<std::string_view> options) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& arg) {
    return std::any_of(options.begin(), options.end(),
                       [&](std::string_view o) { return arg.rfind(o, 0) == 0; });
  });
}

// Whether `text` is set and not a "no" (0, false, no, off): an Open MPI boolean.
bool truthy(const char* text) {
  if (text == nullptr || *text == '\0') {
    return false;
  }
  std::string v(text);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v != "0" && v != "false" && v != "no" && v != "n" && v != "f" && v != "off";
}

// Whether mpirun finds the job's hosts without ftmpi-launch saying: hosts named through
// its own options, a default hostfile that lists nodes, or the allocation of a resource
// manager that Open MPI reads itself (PBS/Torque, LSF, Grid Engine; Slurm's ftmpi-launch
// reads).
bool hosts_come_from_elsewhere(const std::vector<std::string>& args) {
  if (any_option(
          args, {"--host", "-host", "-H", "--hostfile", "-hostfile", "--machinefile",
                 "-machinefile", "--default-hostfile", "-default-hostfile", "--rankfile", "-rf"}) ||
      std::any_of(args.begin(), args.end(), [](const std::string& arg) {
        return arg.find("orte_default_hostfile") != std::string::npos;
      })) {
    return true;
  }
  // NOLINTBEGIN(concurrency-mt-unsafe): the launcher reads its environment on one thread
  for (const char* name : {"PBS_NODEFILE", "LSB_JOBID", "PE_HOSTFILE"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') {
      return true;
    }
  }
  const char* set = std::getenv("OMPI_MCA_orte_default_hostfile");
  // NOLINTEND(concurrency-mt-unsafe)
  std::ifstream in(set != nullptr && *set != '\0' ? set : "/etc/openmpi/openmpi-default-hostfile");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') {
      return true;
    }
  }
  return false;
}

// Whether the user allows more ranks than slots: ftmpi-launch's --oversubscribe, or
// mpirun's own (an option, a mapping modifier, an MCA setting).
bool allows_oversubscription(const ftmpi::LaunchSpec& spec) {
  return spec.oversubscribe ||
         std::any_of(spec.launcher_args.begin(), spec.launcher_args.end(),
                     [](const std::string& arg) {
                       std::string upper(arg);
                       std::transform(upper.begin(), upper.end(), upper.begin(),
                                      [](unsigned char c) { return std::toupper(c); });
                       return upper.find("OVERSUBSCRIBE") != std::string::npos;
                     }) ||
         truthy(std::getenv("OMPI_MCA_rmaps_base_oversubscribe"));  // NOLINT(concurrency-mt-unsafe)
}

// The slots mpirun gives this node: its cores, or its hardware threads if asked.
int local_slots(const ftmpi::LaunchSpec& spec) {
  return ftmpi::local_slots(
      any_option(spec.launcher_args, {"--use-hwthread-cpus", "-use-hwthread-cpus"}));
}

// Bind each rank to a core as mpirun does for a job that fits the node, unless the user
// chose a placement: the job runs on this node (no hostfile), fits its `slots`, and no
// mapping or binding option was passed to mpirun.
bool should_bind_to_cores(const ftmpi::LaunchSpec& spec, int slots) {
  return !spec.hostfile && spec.ranks <= slots &&
         !any_option(spec.launcher_args,
                     {"--bind-to", "-bind-to", "--map-by", "-map-by", "--rankfile", "-rf",
                      "--cpu-set", "-cpu-set", "--cpu-list", "-cpu-list"});
}

// `text` in a temporary file in `dir`.
ftmpi::Result<std::string> write_temporary_hostfile(const ftmpi::Result<std::string>& dir,
                                                    const std::string& out) {
  if (!dir.ok()) {
    return dir.status();
  }
  std::string name = dir.value() + "/hostfile-XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    return ftmpi::errno_status("cannot create a temporary hostfile", errno);
  }
  const bool written = ::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size());
  ::close(fd);
  if (!written) {
    ::unlink(name.c_str());
    return ftmpi::io_error("cannot write a temporary hostfile");
  }
  return name;
}

// `text` with room for the predictor (hostfile_with_hidden_slot) in a temporary file;
// `sequential`: a line per slot, for Open MPI's sequential mapper.
ftmpi::Result<std::string> write_hostfile_with_hidden_slot(const ftmpi::Result<std::string>& dir,
                                                           const std::string& text,
                                                           bool sequential) {
  auto derived = ftmpi::hostfile_with_hidden_slot(text);
  if (derived.ok() && sequential) {
    derived = ftmpi::sequential_hostfile(derived.value());
  }
  if (!derived.ok()) {
    return derived.status();
  }
  return write_temporary_hostfile(dir, derived.value());
}

// A node whose ranks moved off it on the predictor's decision (its predictions file
// names it): drained in Slurm, so that no new job lands on it, with the prediction as
// the reason.  A node moved off for another reason (ftmpi-ctl migrate) is left alone.
void drain_predicted_node(const std::string& ckpt_dir, const std::string& node) {
  std::ifstream in(std::filesystem::path(ckpt_dir) / ftmpi::k_predictions_file);
  std::string line;
  std::string why;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    const auto tab2 = line.find('\t', tab + 1);
    if (tab != std::string::npos && tab2 != std::string::npos &&
        line.substr(tab + 1, tab2 - tab - 1) == node) {
      why = line.substr(tab2 + 1);
    }
  }
  if (why.empty()) {
    return;
  }
  const std::string reason = fmt::format("ftmpi: failure predicted ({})", why).substr(0, 200);
  auto log = ftmpi::logger("launch");
  auto done = ftmpi::run_foreground(
      {"scontrol", "update", "NodeName=" + node, "State=DRAIN", "Reason=" + reason});
  if (done.ok() && done.value() == 0) {
    log->warn("node {} drained in Slurm: {}", node, reason);
  } else {
    log->warn("node {} could not be drained in Slurm (scontrol update failed): drain it by hand",
              node);
  }
}

// SIGKILLs what a lost job leaves behind: every process whose environment names its
// checkpoint directory (application processes, proxies still shutting down).
void kill_job_processes(const std::string& ckpt_dir) {
  const std::string key = std::string(ftmpi::k_env_ckpt_dir) + "=" + ckpt_dir;
  // Until a round finds none: an application CRIU was dumping or restoring when its
  // criu was killed cannot be read until CRIU lets it go.
  constexpr int k_rounds = 20;
  for (int round = 0; round < k_rounds; ++round) {
    bool found = false;
    std::error_code ec;
    for (const auto& entry : ftmpi::directory_entries("/proc", ec)) {
      const long pid = std::atol(entry.path().filename().c_str());
      if (pid <= 0 || pid == ::getpid()) {
        continue;
      }
      const std::vector<std::string> env = ftmpi::process_environment(static_cast<pid_t>(pid));
      if (std::find(env.begin(), env.end(), key) != env.end() &&
          ::kill(static_cast<pid_t>(pid), SIGKILL) == 0) {
        found = true;
      }
    }
    if (!found) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int launch(const std::vector<std::string>& args) {
  using ftmpi::find_program;
  using ftmpi::logger;
  using ftmpi::shell_join;
  auto parsed = ftmpi::parse_launch_options(args);
  if (auto* early = std::get_if<EarlyExit>(&parsed)) {
    std::fputs(early->text.c_str(), early->to_stderr ? stderr : stdout);
    return early->exit_code;
  }
  auto& options = std::get<LaunchOptions>(parsed);
  ftmpi::set_log_level(options.log_level);
  auto log = logger("launch");

  const char* path_env = std::getenv("PATH");
  const std::string search_path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::string restart_from;
  std::string restart_command;  // the checkpointed job's command line
  if (!options.restart.empty()) {
    // The newest valid checkpoint; its manifest gives the ranks and the command.
    std::vector<std::string> skipped;
    auto chosen = ftmpi::choose_checkpoint(options.restart, skipped);
    for (const std::string& why : skipped) {
      log->warn("skipping a checkpoint: {}", why);
    }
    if (!chosen.ok()) {
      log->error("cannot restart: {}", chosen.status().message());
      return chosen.status().code() == ftmpi::StatusCode::not_found ? k_exit_no_program
                                                                    : ftmpi::k_exit_corrupt;
    }
    auto manifest = ftmpi::read_manifest(chosen.value());
    const int ranks = static_cast<int>(manifest.value().ranks.size());
    if (options.spec.ranks != 0 && options.spec.ranks != ranks) {
      log->error("{} holds {} ranks, not {}: a job restarts on as many ranks as it had",
                 chosen.value(), ranks, options.spec.ranks);
      return k_exit_usage;
    }
    options.spec.ranks = ranks;
    const std::string& command = manifest.value().command;
    restart_command = command;
    options.spec.program = command.substr(0, command.find(' '));
    if (options.spec.program.empty()) {
      options.spec.program = "restarted";
    }
    restart_from = std::filesystem::absolute(chosen.value()).lexically_normal().string();
    if (options.ckpt_dir.empty()) {
      options.ckpt_dir = std::filesystem::path(restart_from).parent_path().string();
    }
    log->info("restarting from {}", restart_from);
  } else {
    auto program = find_program(options.spec.program, search_path);
    if (!program.ok()) {
      log->error("{}", program.status().message());
      return k_exit_no_program;
    }
    options.spec.program = program.value();
  }

  auto mpirun = find_program(options.mpirun, search_path);
  if (!mpirun.ok()) {
    log->error(
        "mpirun '{}' not found: install Open MPI (scripts/setup.sh does) or name it "
        "with --mpirun PATH",
        options.mpirun);
    return k_exit_unavailable;
  }

  auto layout = ftmpi::find_install_layout();
  if (!layout.ok()) {
    log->error("{}", layout.status().message());
    return k_exit_unavailable;
  }
  // The predictor's classifier, checked here: a model that cannot be used stops the launch
  // before anything starts.
  std::string model = options.predictor_model;
  if (model.empty()) {
    std::error_code ec;
    model = std::filesystem::exists(layout.value().model, ec) ? layout.value().model : "rules";
    if (model == "rules") {
      log->info("no predictor model at {}: the predictor uses its rules", layout.value().model);
    }
  }
  if (model != "rules") {
    auto loaded = ftmpi::Classifier::load(model);
    if (!loaded.ok()) {
      log->error("{}; give another --predictor-model FILE, or --predictor-model rules",
                 loaded.status().message());
      return loaded.status().code() == ftmpi::StatusCode::not_found ? k_exit_no_program
                                                                    : ftmpi::k_exit_corrupt;
    }
    model = std::filesystem::absolute(model).string();
  }
  std::string trace;
  if (!options.no_trace) {
    auto checked = ftmpi::check_trace_path(
        options.trace.empty() ? ftmpi::default_trace_name(options.spec.program) : options.trace);
    if (!checked.ok()) {
      log->error("{}; choose another --trace FILE, or --no-trace", checked.status().message());
      return ftmpi::k_exit_cannot_create;
    }
    trace = checked.value();
  }

  // N application ranks, each in ftmpi-rank with libftmpi preloaded, and the hidden
  // predictor as rank N; the job's settings travel in the environment.
  const int slots = local_slots(options.spec);
  options.spec.bind_to_cores = should_bind_to_cores(options.spec, slots);
  // A simulated cluster: its active nodes, reached through its own rsh agent, MPI's
  // traffic between them over loopback.
  std::string cluster_hosts;
  ftmpi::JobInfo job;  // for ftmpi-ctl (transparent mode)
  job.launcher_pid = ::getpid();
  job.cluster = options.cluster;
  // The nodes with their roles, where the job has spares: a simulated cluster's, or a
  // hostfile's with --spares (made below, in the job's directory).
  std::unique_ptr<ftmpi::NodePool> pool;
  std::string rerun_hint;  // how to restart the job on the same nodes
  // The launcher's temporary files (the hostfiles it gives mpirun) go in a directory of
  // its own under $TMPDIR, made when first needed, held while it runs and removed at its
  // end; what a launcher killed with SIGKILL left there goes in the next one's sweep.  A
  // dry run's is not held and stays: the command it prints names its hostfile.
  ftmpi::JobDirHold temp_hold;
  std::string temp_dir_made;
  ftmpi::ScopeGuard remove_temp_dir([&] { temp_hold.release_and_remove_if_unheld(); });
  const auto temp_dir = [&]() -> ftmpi::Result<std::string> {
    if (!temp_dir_made.empty()) {
      return temp_dir_made;
    }
    const char* tmp = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): single thread
    const std::string parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    if (options.dry_run) {
      std::string dir = parent + "/" + ftmpi::k_job_dir_prefix + "XXXXXX";
      if (::mkdtemp(dir.data()) == nullptr) {
        return ftmpi::errno_status("cannot create a directory in " + parent, errno);
      }
      return temp_dir_made = dir;
    }
    auto held = ftmpi::make_job_dir(parent);
    if (!held.ok()) {
      return held.status();
    }
    temp_hold = std::move(held).value();
    return temp_dir_made = temp_hold.dir();
  };
  // Inside a Slurm allocation, with no --hostfile or --cluster: the allocation's nodes
  // are the hostfile, and node daemons are job steps (docs/slurm.md).
  std::string slurm_hostfile;
  ftmpi::ScopeGuard remove_slurm_hostfile([&] {
    if (!slurm_hostfile.empty()) {
      ::unlink(slurm_hostfile.c_str());
    }
  });
  if (!options.spec.hostfile && options.cluster.empty()) {
    auto allocation = ftmpi::slurm_allocation_from_environment();
    if (!allocation.ok()) {
      log->error("{}", allocation.status().message());
      return k_exit_usage;
    }
    if (const auto& a = allocation.value(); a) {
      const char* list = std::getenv("SLURM_JOB_NODELIST");  // NOLINT(concurrency-mt-unsafe)
      if (const ftmpi::Status known = ftmpi::check_slurm_knows(*a, list != nullptr ? list : "");
          !known.ok()) {
        log->error("{}", known.message());
        return known.code() == ftmpi::StatusCode::unsupported ? k_exit_unavailable : k_exit_usage;
      }
      const int nodes = static_cast<int>(a->nodes.size());
      if (options.spares > 0 && options.spares >= nodes) {
        log->error(
            "--spares {}: the Slurm allocation {} has {} node{}, and at least one must run "
            "ranks; ask for more nodes (sbatch -N {}) or fewer spares",
            options.spares, a->job_id, nodes, nodes == 1 ? "" : "s", options.spares + 1);
        return k_exit_usage;
      }
      auto written = write_temporary_hostfile(temp_dir(), ftmpi::slurm_hostfile_text(*a));
      if (!written.ok()) {
        log->error("{}", written.status().message());
        return ftmpi::k_exit_cannot_create;
      }
      slurm_hostfile = written.value();
      options.spec.hostfile = slurm_hostfile;
      // mpirun counts the allocation's CPUs as slots: the hidden predictor rank is one
      // process more than the ranks asked for.  Ranks go where the hostfile says, line by
      // line, not in Slurm's order of the nodes: after a migration a spare takes the
      // place of the node it replaces.
      options.spec.oversubscribe = true;
      options.spec.sequential = true;
      log->info("Slurm allocation {}: {} node{}", a->job_id, nodes, nodes == 1 ? "" : "s");
    }
  }
  if (options.spares > 0 || !options.agent.empty()) {
    if (!options.spec.hostfile || options.mode != LaunchMode::transparent) {
      log->error(
          "--spares and --agent need --hostfile (or a Slurm allocation) and transparent mode");
      return k_exit_usage;
    }
    if (options.spares == 0) {
      log->error("--agent is for the node daemons of --spares: give --spares K too");
      return k_exit_usage;
    }
    rerun_hint =
        slurm_hostfile.empty()
            ? fmt::format("--hostfile {} --spares {}", *options.spec.hostfile, options.spares)
            : fmt::format("--spares {} in a Slurm allocation", options.spares);
  }
  if (!options.cluster.empty()) {
    if (options.spec.hostfile) {
      log->error("--cluster and --hostfile exclude each other: give one");
      return k_exit_usage;
    }
    auto cluster = ftmpi::open_cluster_pool(options.cluster);
    if (!cluster.ok()) {
      log->error("{}", cluster.status().message());
      return k_exit_no_program;
    }
    pool = std::move(cluster).value();
    rerun_hint = "--cluster " + options.cluster;
    options.spec.bind_to_cores = false;  // the simulated nodes share this machine's cores
    cluster_hosts = ftmpi::pool_hostfile(*pool);
    job.rank_nodes = ftmpi::pool_rank_nodes(*pool, options.spec.ranks);
    auto sim = ftmpi::load_cluster(options.cluster);
    const std::string network = sim.ok() ? sim.value().mpi_network() : std::string("lo");
    for (const std::string& arg :
         {std::string("--mca"), std::string("plm_rsh_agent"), layout.value().cluster + " agent",
          std::string("--mca"), std::string("btl_tcp_if_include"), network, std::string("--mca"),
          std::string("oob_tcp_if_include"), network}) {
      options.spec.launcher_args.push_back(arg);
    }
  }
  auto& env = options.spec.environment;
  env.push_back(fmt::format("{}={}", ftmpi::k_env_app_ranks, options.spec.ranks));
  env.push_back(fmt::format("{}={}", ftmpi::k_env_sample_interval, options.sample_interval));
  env.push_back(fmt::format("{}={}", ftmpi::k_env_trace, trace));
  env.push_back(fmt::format("{}={}", ftmpi::k_env_predictor_model, model));
  std::vector<std::string> program_words{options.spec.program};
  program_words.insert(program_words.end(), options.spec.program_args.begin(),
                       options.spec.program_args.end());
  env.push_back(fmt::format("{}={}", ftmpi::k_env_command,
                            restart_command.empty() ? shell_join(program_words) : restart_command));
  env.push_back(fmt::format("{}={}", ftmpi::k_env_mode,
                            options.mode == LaunchMode::transparent ? "transparent" : "native"));
  // Settings of the whole job go to every rank.  What says where this node's sensors
  // are goes only when they all run on this node: elsewhere each node's own environment
  // says it (a simulated node's agent, a Slurm TaskProlog).
  const auto pass_on = [&env](const char* name) {
    if (const char* value = std::getenv(name); value != nullptr) {  // NOLINT(concurrency-mt-unsafe)
      env.push_back(fmt::format("{}={}", name, value));
    }
  };
  // mpirun gives a rank on another host only what it is told to (-x): the predictor's
  // settings too, wherever its hidden rank runs.
  for (const char* name :
       {"FTMPI_LOG_LEVEL", "FTMPI_SPIN_NS", "FTMPI_ARENA", "FTMPI_ARENA_MIN", "FTMPI_ARENA_RESERVE",
        "FTMPI_ARENA_SWAP", "FTMPI_MIGRATION_PATIENCE", "FTMPI_CRIU", "FTMPI_CRIU_TIMEOUT",
        "FTMPI_CALL_CLOCK", "FTMPI_RISK_HORIZON", "FTMPI_RISK_THRESHOLD", "FTMPI_RISK_WINDOWS",
        "FTMPI_RISK_WINDOW", "FTMPI_RISK_PATIENCE", "FTMPI_RISK_PATIENCE_MAX",
        "FTMPI_MIGRATION_COST", "FTMPI_TRIP_CELSIUS"}) {
    pass_on(name);
  }
  if (!options.spec.hostfile) {
    for (const char* name :
         {ftmpi::k_env_sysroot, ftmpi::k_env_node_cgroup, ftmpi::k_env_node_dir}) {
      pass_on(name);
    }
  }
  std::string job_ckpt_dir;
  std::string pool_dir;  // a hostfile pool's: its node daemons end with the job
  ftmpi::ScopeGuard close_ckpt_dir([&] {
    if (job_ckpt_dir.empty()) {
      return;
    }
    if (job.state == "running") {
      job.state = "finished";
    }
    if (!ftmpi::list_checkpoints(job_ckpt_dir).empty()) {
      (void)ftmpi::write_job_info(job_ckpt_dir, job);  // ftmpi-ctl status tells how it ended
      return;
    }
    // What the job kept there besides checkpoints: its file, the predictor's scores, a
    // hostfile pool's nodes, a request that came too late.
    std::error_code ec;
    const std::filesystem::path dir = job_ckpt_dir;
    for (const char* name : {ftmpi::k_job_file, ftmpi::k_risk_file, ftmpi::k_pool_file,
                             ftmpi::k_checkpoint_request_file, ftmpi::k_migrate_request_file,
                             ftmpi::k_migrate_order_file, ftmpi::k_migration_abandoned_file,
                             ftmpi::k_precopy_order_file}) {
      std::filesystem::remove(dir / name, ec);
    }
    std::filesystem::remove_all(dir / ftmpi::k_nodes_dir, ec);
    std::filesystem::remove_all(dir / ftmpi::k_prelaunch_dir, ec);
    std::filesystem::remove_all(dir / ftmpi::k_precopy_dir, ec);
    std::filesystem::remove(job_ckpt_dir, ec);  // only if nothing else is in it
  });
  // Before the directory goes (guards run in reverse order).
  ftmpi::ScopeGuard stop_daemons([&] {
    if (!pool_dir.empty()) {
      ftmpi::stop_node_daemons(pool_dir);
    }
  });
  ftmpi::JobDirHold channel_dir;
  ftmpi::ScopeGuard remove_channel_dir([&] { channel_dir.release_and_remove_if_unheld(); });
  if (options.mode == LaunchMode::transparent) {
    // Each rank is a proxy that runs the real MPI and starts the program beside it; their
    // shared-memory channels live in a directory of this job's, held while the job runs
    // and removed at the end (or by a later job's sweep, if this one is killed).
    if (!options.dry_run) {
      auto held = ftmpi::make_job_dir("/dev/shm");
      if (!held.ok()) {
        log->error("cannot create a directory in /dev/shm for the rank proxies' channels: {}",
                   held.status().message());
        return ftmpi::k_exit_cannot_create;
      }
      channel_dir = std::move(held).value();
      env.push_back(fmt::format("{}={}", ftmpi::k_env_channel_dir, channel_dir.dir()));
    }
    options.spec.rank_wrapper = {layout.value().proxy, "--"};
    if (!restart_from.empty()) {
      options.spec.rank_wrapper = {layout.value().proxy, "--restore", restart_from, "--"};
    }
    // Checkpoints: a working CRIU first, so a job that cannot be checkpointed does not
    // start as if it could.
    if (!options.dry_run) {
      auto criu = ftmpi::find_criu();
      if (!criu.ok()) {
        log->error("transparent mode (the default) needs CRIU: {}", criu.status().message());
        return k_exit_unavailable;
      }
      log->debug("CRIU: {} ({}, {})", criu.value().path, criu.value().origin, criu.value().version);
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string ckpt_dir =
        fs::absolute(options.ckpt_dir.empty()
                         ? ftmpi::default_checkpoint_dir_name(options.spec.program)
                         : options.ckpt_dir,
                     ec)
            .lexically_normal()
            .string();
    env.push_back(fmt::format("{}={}", ftmpi::k_env_ckpt_dir, ckpt_dir));
    if (!options.dry_run) {
      // Made now, so that ftmpi-ctl finds the running job there; removed at the end if
      // no checkpoint was taken.
      fs::create_directories(ckpt_dir, ec);
      job.ranks = options.spec.ranks;
      if (ec || !ftmpi::write_job_info(ckpt_dir, job).ok()) {
        log->error("cannot create the checkpoint directory {}; choose another --ckpt-dir",
                   ckpt_dir);
        return ftmpi::k_exit_cannot_create;
      }
      job_ckpt_dir = ckpt_dir;
    }
    // Node daemons beat (a hostfile's nodes) and sample their node for the predictor,
    // which scores the nodes without ranks (the spares) from them.
    const std::vector<std::string> noded_command{layout.value().noded, "--sample-interval",
                                                 fmt::format("{}", options.sample_interval)};
    if (!options.cluster.empty() && !options.dry_run) {
      // A simulated cluster's nodes are up while their own daemons run; the job's only
      // sample them.
      ftmpi::beat_for_node_daemons(ckpt_dir);
      pool_dir = ckpt_dir;
      if (const ftmpi::Status up = ftmpi::start_node_daemons(
              *pool, ckpt_dir, layout.value().cluster + " agent", noded_command, 15);
          !up.ok()) {
        log->warn("{}; the predictor does not score the spare nodes", up.message());
      }
    }
    if (options.spares > 0) {
      // The hostfile's nodes with spares, kept in the job's directory, each with a node
      // daemon started through the agent (docs/ftmpi-launch.md, "Spare nodes").
      std::stringstream text;
      std::ifstream in(*options.spec.hostfile);
      text << in.rdbuf();
      const std::string agent = !options.agent.empty()   ? options.agent
                                : slurm_hostfile.empty() ? std::string("ssh")
                                                         : std::string(ftmpi::k_slurm_agent);
      auto created = ftmpi::create_hostfile_pool(options.dry_run ? "" : ckpt_dir, text.str(),
                                                 options.spares, agent);
      if (!created.ok()) {
        log->error("{}: {}", *options.spec.hostfile, created.status().message());
        return k_exit_usage;
      }
      pool = std::move(created).value();
      job.pool = true;
      if (!options.dry_run) {
        ftmpi::beat_for_node_daemons(ckpt_dir);
        pool_dir = ckpt_dir;
        if (const ftmpi::Status up =
                ftmpi::start_node_daemons(*pool, ckpt_dir, agent, noded_command, 15);
            !up.ok()) {
          log->error("{}", up.message());
          return k_exit_unavailable;
        }
      }
      cluster_hosts = ftmpi::pool_hostfile(*pool);
      job.rank_nodes = ftmpi::pool_rank_nodes(*pool, options.spec.ranks);
      if (!options.dry_run) {
        (void)ftmpi::write_job_info(ckpt_dir, job);
      }
      if (!options.agent.empty()) {
        options.spec.launcher_args.insert(options.spec.launcher_args.end(),
                                          {"--mca", "plm_rsh_agent", options.agent});
      }
    }
    env.push_back(fmt::format("{}={}", ftmpi::k_env_ckpt_keep, options.ckpt_keep));
    env.push_back(fmt::format("{}={}", ftmpi::k_env_ckpt_interval, options.ckpt_interval));
  } else {
    options.spec.rank_wrapper = {layout.value().rank_helper, "--preload", layout.value().libftmpi,
                                 "--"};
  }
  // A hostfile with exactly N slots has no room for the predictor: give it one more.
  std::string derived_hostfile;
  if (!cluster_hosts.empty() || options.spec.hostfile) {
    std::stringstream text;
    if (cluster_hosts.empty()) {
      std::ifstream in(*options.spec.hostfile);
      // (An empty file reads as a failure of <<: it goes on to "names no host".)
      if (!in || (in.peek() != std::ifstream::traits_type::eof() && !(text << in.rdbuf()))) {
        log->error("cannot read the hostfile {}", *options.spec.hostfile);
        return k_exit_usage;
      }
    }
    auto derived = write_hostfile_with_hidden_slot(
        temp_dir(), cluster_hosts.empty() ? text.str() : cluster_hosts, !slurm_hostfile.empty());
    if (!derived.ok()) {
      log->error("{}: {}", options.spec.hostfile.value_or("cluster " + options.cluster),
                 derived.status().message());
      // A hostfile that says nothing usable is bad usage; one that cannot be written, not.
      return derived.status().code() == ftmpi::StatusCode::invalid_argument
                 ? k_exit_usage
                 : ftmpi::k_exit_cannot_create;
    }
    derived_hostfile = derived.value();
    options.spec.hostfile = derived_hostfile;
  } else if (!hosts_come_from_elsewhere(options.spec.launcher_args)) {
    // This node alone: mpirun counts its cores as slots, and the predictor is one process
    // more than the ranks.  A job of a rank per core would be refused, and every rank
    // would wait for messages as on an oversubscribed node (yielding the core at each
    // poll: three times the latency of a small message).  The predictor gets a slot of
    // its own, as in a hostfile.
    if (options.spec.ranks > slots && !allows_oversubscription(options.spec)) {
      log->error(
          "-np {}: this node has {} slot{} (mpirun counts a slot per core, or per hardware "
          "thread with --use-hwthread-cpus); give --oversubscribe to run more ranks than "
          "that here, or --hostfile",
          options.spec.ranks, slots, slots == 1 ? "" : "s");
      return k_exit_usage;
    }
    options.spec.hosts = fmt::format("localhost:{}", slots + 1);
  }
  ftmpi::ScopeGuard remove_hostfile([&] {
    if (!derived_hostfile.empty() && !options.dry_run) {
      ::unlink(derived_hostfile.c_str());
    }
  });
  if (pool != nullptr && options.mode == LaunchMode::transparent) {
    env.push_back(fmt::format("{}=1", ftmpi::k_env_spares));  // migrations can be asked for
    if (options.precopy) {
      // The proxies track the arenas' writes from the start, for a migration's pre-copy.
      env.push_back(fmt::format("{}=1", ftmpi::k_env_precopy));
    }
  }
  options.spec.hidden_rank = {layout.value().predictor};

  // The spares that are up, for the predictor: with none, its decisions ask for nothing.
  // Written at each MPI layer's start and again whenever the count changes (a spare's
  // daemon may beat for the first time after the job started, or stop).
  int spares_noted = -1;
  auto spares_looked_at = std::chrono::steady_clock::now();
  const auto note_spares = [&] {
    if (pool == nullptr || options.dry_run || job_ckpt_dir.empty()) {
      return;
    }
    spares_looked_at = std::chrono::steady_clock::now();
    int up = 0;
    for (const ftmpi::PoolNode& n : pool->nodes()) {
      up += n.role == ftmpi::NodeRole::spare && pool->looks_up(n) ? 1 : 0;
    }
    if (up == spares_noted) {
      return;
    }
    if (ftmpi::write_file_atomically(
            (std::filesystem::path(job_ckpt_dir) / ftmpi::k_spares_file).string(),
            fmt::format("{}\n", up))
            .ok()) {
      spares_noted = up;
    }
  };
  note_spares();
  const auto launcher = ftmpi::make_mpirun_launcher(mpirun.value());
  auto command = launcher->command(options.spec);
  if (!command.ok()) {
    log->error("{}", command.status().message());
    return k_exit_usage;
  }
  if (options.dry_run) {
    fmt::print("{}\n", shell_join(command.value()));
    return 0;
  }
  // On a cluster in transparent mode a lost node sends the job back to its last
  // checkpoint, on the other nodes and a spare (docs/ftmpi-cluster.md, "Roll-back"), and
  // a migration relaunches the MPI layer with a node replaced (docs/migration.md).
  const bool on_cluster = pool != nullptr && options.mode == LaunchMode::transparent;
  const std::string first_trace = trace;
  // An MPI layer after the first: its spec (on the cluster's active nodes as they are
  // now, each rank in `wrapper`), hostfile, trace (the first one's with `label`:
  // rollback1, migration2, ...) and command.
  struct Layer {
    ftmpi::LaunchSpec spec;
    std::string hostfile;
    std::string trace;
    std::vector<std::string> command;
  };
  const auto plan_layer = [&](std::vector<std::string> wrapper,
                              const std::string& label) -> ftmpi::Result<Layer> {
    auto hostfile = write_hostfile_with_hidden_slot(temp_dir(), ftmpi::pool_hostfile(*pool),
                                                    !slurm_hostfile.empty());
    if (!hostfile.ok()) {
      return hostfile.status();
    }
    Layer next{options.spec, hostfile.value(), trace, {}};
    next.spec.hostfile = next.hostfile;
    next.spec.rank_wrapper = std::move(wrapper);
    if (!first_trace.empty()) {
      std::string base = first_trace;
      for (const std::string suffix : {".ftmpi.h5", ".h5"}) {
        if (base.size() > suffix.size() &&
            base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0) {
          base.resize(base.size() - suffix.size());
          break;
        }
      }
      next.trace = fmt::format("{}.{}.h5", base, label);
      for (std::string& e : next.spec.environment) {
        if (e.rfind(std::string(ftmpi::k_env_trace) + "=", 0) == 0) {
          e = fmt::format("{}={}", ftmpi::k_env_trace, next.trace);
        }
      }
    }
    auto argv = launcher->command(next.spec);
    if (!argv.ok()) {
      ::unlink(next.hostfile.c_str());
      return argv.status();
    }
    next.command = std::move(argv.value());
    return next;
  };
  // `next` becomes the job's MPI layer (the pool already has its nodes).
  const auto use_layer = [&](Layer next) {
    ::unlink(derived_hostfile.c_str());
    derived_hostfile = next.hostfile;
    options.spec = std::move(next.spec);
    trace = next.trace;
    command = std::move(next.command);
    job.rank_nodes = ftmpi::pool_rank_nodes(*pool, options.spec.ranks);
    (void)ftmpi::write_job_info(job_ckpt_dir, job);
    note_spares();
  };
  // The MPI layer again, from `from` (a checkpoint or a migration's state).
  const auto relaunch = [&](const std::string& from, const std::string& label) -> bool {
    auto next = plan_layer({layout.value().proxy, "--restore", from, "--"}, label);
    if (!next.ok()) {
      log->error("{}", next.status().message());
      return false;
    }
    use_layer(std::move(next.value()));
    return true;
  };
  // A migration asked for (ftmpi-ctl migrate, the predictor): by default the next MPI
  // layer, with the node replaced, starts at once while the job runs on, and the
  // proxies are told to move the node's ranks once it is up; with --no-prelaunch (and
  // inside Slurm, where job steps of one allocation do not overlap) they are told at
  // once and the layer is relaunched after the dump (docs/migration.md).
  struct Prelaunch {
    pid_t pid = 0;  // the next MPI layer, started beforehand
    std::string from;
    std::string to;
    double requested = 0;
    double started = 0;
    bool ordered = false;  // the proxies were told to move the ranks
    std::string state;     // where they write its state (migration-NNNNNN)
    Layer layer;
  };
  Prelaunch next;
  const bool prelaunch = !options.no_prelaunch && slurm_hostfile.empty();
  const std::filesystem::path ckpt_root(job_ckpt_dir);
  const auto order_migration = [&] {
    (void)ftmpi::write_file_atomically(
        (ckpt_root / ftmpi::k_migrate_order_file).string(),
        fmt::format("{} {} {:.6f} {}\n", next.from, next.to.empty() ? "-" : next.to, next.requested,
                    std::filesystem::path(next.state).filename().string()));
    next.ordered = true;
  };
  // A next layer that never took over leaves neither its hostfile nor its trace.
  const auto discard_next_layer = [&] {
    ::unlink(next.layer.hostfile.c_str());
    if (next.layer.trace != trace) {
      ::unlink(next.layer.trace.c_str());
    }
  };
  // The pre-copy order withdrawn: the proxies stop copying, the copies go.
  const auto withdraw_precopy = [&] {
    ::unlink((ckpt_root / ftmpi::k_precopy_order_file).c_str());
    std::error_code ec;
    std::filesystem::remove_all(ckpt_root / ftmpi::k_precopy_dir, ec);
  };
  // Whether every rank of the node left has its arena copied (or said why not).
  const auto precopy_over = [&] {
    if (!options.precopy) {
      return true;
    }
    const auto ranks = std::count(job.rank_nodes.begin(), job.rank_nodes.end(), next.from);
    long over = 0;
    std::error_code ec;
    for (const auto& entry : ftmpi::directory_entries(ckpt_root / ftmpi::k_precopy_dir, ec)) {
      const std::string ext = entry.path().extension().string();
      over += ext == ".done" || ext == ".failed" ? 1 : 0;
    }
    return over >= ranks;
  };
  // What the pre-copy did, rank by rank where it could not.
  const auto report_precopy = [&] {
    std::uint64_t copied = 0;
    int done = 0;
    std::error_code ec;
    for (const auto& entry : ftmpi::directory_entries(ckpt_root / ftmpi::k_precopy_dir, ec)) {
      const std::string ext = entry.path().extension().string();
      std::ifstream in(entry.path());
      std::string line;
      std::getline(in, line);
      if (ext == ".failed") {
        std::string rank = entry.path().stem().string();
        std::replace(rank.begin(), rank.end(), '-', ' ');
        log->warn("migration of node {}: {} not pre-copied ({}); its arena is copied at the dump",
                  next.from, rank, line);
      } else if (ext == ".done") {
        copied += std::strtoull(line.c_str(), nullptr, 10);
        ++done;
      }
    }
    if (done > 0) {
      log->info("migration of node {}: {} arenas pre-copied ({:.1f} MB)", next.from, done,
                static_cast<double>(copied) / 1e6);
    }
  };
  const auto stop_next = [&] {
    withdraw_precopy();
    if (next.pid > 0) {
      ftmpi::stop_background(next.pid);
    }
    if (!next.layer.hostfile.empty()) {
      discard_next_layer();
    }
    std::error_code ec;
    std::filesystem::remove_all(ckpt_root / ftmpi::k_prelaunch_dir, ec);
    next = Prelaunch{};
  };
  const auto count_ready = [&] {
    int ready = 0;
    std::error_code ec;
    for (const auto& entry : ftmpi::directory_entries(ckpt_root / ftmpi::k_prelaunch_dir, ec)) {
      const std::string name = entry.path().filename().string();
      ready += name.find('.') == std::string::npos ? 1 : 0;  // not a file being written
    }
    return ready;
  };
  // Called every few milliseconds while an MPI layer runs.
  const auto look_after_migrations = [&] {
    if (next.from.empty()) {
      const std::string request = (ckpt_root / ftmpi::k_migrate_request_file).string();
      std::ifstream in(request);
      std::string from;
      std::string to;
      double requested = 0;
      if (!(in >> from >> to)) {
        return;
      }
      in >> requested;
      ::unlink(request.c_str());
      next.from = from;
      next.to = to == "-" ? std::string() : to;
      next.requested = requested > 0 ? requested : ftmpi::wall_seconds();
      next.state = (ckpt_root / ftmpi::migration_name(job.migrations + 1)).string();
      // The node that will take the ranks: chosen now, taken only when they moved.
      const std::vector<ftmpi::PoolNode> nodes = pool->nodes();
      std::string target = next.to;
      pool->set_scores(ftmpi::read_risk_scores((ckpt_root / ftmpi::k_risk_file).string()));
      const bool movable = ftmpi::move_node(*pool, from, target);
      auto layer = movable && prelaunch
                       ? plan_layer({layout.value().proxy, "--await-migration", next.state, "--"},
                                    fmt::format("migration{}", job.migrations + 1))
                       : ftmpi::Result<Layer>(ftmpi::not_found(""));
      pool->nodes() = nodes;
      if (!movable) {
        log->error("migration of node {} asked for, but no spare node is up to take its ranks",
                   from);
        next = Prelaunch{};
        return;
      }
      if (next.to != target) {  // chosen here: say why
        std::string others;
        for (const ftmpi::PoolNode& n : nodes) {
          if (n.role == ftmpi::NodeRole::spare && n.name != target) {
            others += fmt::format("{}{} {:.2f}", others.empty() ? "; other spares: " : ", ", n.name,
                                  pool->score(n.name));
          }
        }
        log->info("migration of node {}: spare {} takes its ranks (risk score {:.2f}{})", from,
                  target, pool->score(target), others);
      }
      next.to = target;
      if (!layer.ok()) {
        if (prelaunch) {
          log->warn("migration of node {}: {}; the MPI layer is relaunched after the dump", from,
                    layer.status().message());
        }
        order_migration();
        return;
      }
      std::error_code ec;
      std::filesystem::remove_all(ckpt_root / ftmpi::k_prelaunch_dir, ec);
      auto pid = ftmpi::start_background(layer.value().command);
      if (!pid.ok()) {
        log->warn("migration of node {}: {}; the MPI layer is relaunched after the dump", from,
                  pid.status().message());
        ::unlink(layer.value().hostfile.c_str());
        order_migration();
        return;
      }
      next.pid = pid.value();
      next.started = ftmpi::wall_seconds();
      next.layer = std::move(layer.value());
      // Meanwhile the proxies of the node left copy their arenas.
      withdraw_precopy();
      if (options.precopy) {
        (void)ftmpi::write_file_atomically(
            (ckpt_root / ftmpi::k_precopy_order_file).string(),
            fmt::format("{} {}\n", from, std::filesystem::path(next.state).filename().string()));
      }
      log->info("migration of node {} to {}: the next MPI layer starts while the job runs on", from,
                target);
      return;
    }
    if (next.ordered) {
      const std::string abandoned = (ckpt_root / ftmpi::k_migration_abandoned_file).string();
      if (::unlink(abandoned.c_str()) == 0) {
        log->warn("migration of node {} abandoned: the job was never quiet enough", next.from);
        stop_next();
      }
      return;
    }
    // The ranks move once the next layer is up and their arenas are copied (a pre-copy
    // still under way after the layer's time is given up: they are dumped whole).
    constexpr double k_prelaunch_timeout_s = 120;
    const double waited = ftmpi::wall_seconds() - next.started;
    const bool up = count_ready() >= options.spec.ranks;
    if (up && (precopy_over() || waited > k_prelaunch_timeout_s)) {
      log->info("migration of node {}: the next MPI layer is up{} after {:.2f} s; the ranks move",
                next.from, options.precopy ? " and the arenas copied" : "", waited);
      report_precopy();
      order_migration();
      return;
    }
    const auto ended = ftmpi::poll_background(next.pid);
    if (ended || (!up && waited > k_prelaunch_timeout_s)) {
      log->warn("migration of node {}: the next MPI layer {}; it is relaunched after the dump",
                next.from,
                ended ? fmt::format("failed (exit {}) before it was up", *ended)
                      : std::string("was not up in time"));
      if (!ended) {
        ftmpi::stop_background(next.pid);
      }
      discard_next_layer();
      next.pid = 0;
      next.layer = Layer{};
      order_migration();
    }
  };
  // Runs the MPI layer `command` (or `adopted`, one already running) to its end.
  const auto run_layer = [&](pid_t adopted) -> ftmpi::Result<int> {
    if (!on_cluster) {
      return ftmpi::run_foreground(command.value());
    }
    pid_t pid = adopted;
    if (pid == 0) {
      auto started = ftmpi::start_background(command.value());
      if (!started.ok()) {
        return started.status();
      }
      pid = started.value();
    }
    for (;;) {
      if (auto ended = ftmpi::poll_background(pid)) {
        return *ended;
      }
      look_after_migrations();
      if (std::chrono::steady_clock::now() - spares_looked_at > std::chrono::seconds(1)) {
        note_spares();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  if (on_cluster) {
    remove_migration_states(job_ckpt_dir);  // left by a launcher that did not end well
    for (const char* name : {ftmpi::k_migrate_order_file, ftmpi::k_migration_abandoned_file,
                             ftmpi::k_precopy_order_file}) {
      ::unlink((std::filesystem::path(job_ckpt_dir) / name).c_str());
    }
    ftmpi::record_forwarded_signals();  // between two MPI layers too
  }
  // Stopped by a signal: nothing of the job may stay (an application a migration left
  // waiting for its next proxy would wait on), the last checkpoint stays as it is.
  const auto stop_for_signal = [&](int exit_code) {
    kill_job_processes(job_ckpt_dir);
    if (!migration_states(job_ckpt_dir).empty()) {
      log->warn("stopped by signal {} during a migration: the migration is abandoned",
                ftmpi::forwarded_signal());
      remove_migration_states(job_ckpt_dir);
    }
    std::vector<std::string> skipped;
    auto chosen = ftmpi::choose_checkpoint(job_ckpt_dir, skipped);
    job.state = "stopped";
    job.exit_code = exit_code;
    job.events.push_back(fmt::format("{:.0f} stopped by signal {}", ftmpi::wall_seconds(),
                                     ftmpi::forwarded_signal()));
    if (chosen.ok()) {
      log->warn("its last checkpoint is {} (ftmpi-launch --restart {} {})", chosen.value(),
                job_ckpt_dir, rerun_hint);
    }
    return exit_code;
  };
  std::string migration;  // the migration state the running MPI layer started from
  pid_t adopted = 0;      // the MPI layer started before a migration, now the job's
  for (int rollbacks = 0;;) {
    // A node whose OOM killer strikes while this MPI layer runs has lost ranks.
    const std::map<std::string, long> oom_before =
        on_cluster ? ftmpi::oom_counts(*pool) : std::map<std::string, long>{};
    log->debug("{} {}", adopted != 0 ? "running" : "starting", shell_join(command.value()));
    auto exit_code = run_layer(std::exchange(adopted, 0));
    // A migration not carried out: what was started for it goes.
    const Prelaunch pending = next;
    const auto drop_pending = [&] {
      stop_next();
      ::unlink((ckpt_root / ftmpi::k_migrate_order_file).c_str());
    };
    if (!exit_code.ok()) {
      drop_pending();
      log->error("{}", exit_code.status().message());
      return k_exit_software;
    }
    log->debug("{} exited with {}", launcher->name(), exit_code.value());
    if (!trace.empty() && ::access(trace.c_str(), F_OK) == 0) {
      log->info("trace: {}", trace);
    }
    job.exit_code = exit_code.value();
    // This MPI layer started from a migration's state: used now (or, failed, useless).
    const bool after_migration = !migration.empty();
    if (after_migration) {
      std::error_code ec;
      std::filesystem::remove_all(migration, ec);
      migration.clear();
    }
    if (!on_cluster) {
      return exit_code.value();
    }
    if (ftmpi::forwarded_signal() != 0) {
      drop_pending();
      return stop_for_signal(exit_code.value());
    }
    if (exit_code.value() == 0) {
      std::error_code ec;
      migration =
          pending.ordered && std::filesystem::exists(
                                 std::filesystem::path(pending.state) / ftmpi::k_manifest_name, ec)
              ? pending.state
              : std::string();
      if (migration.empty()) {
        drop_pending();
        return 0;  // the job finished
      }
      // Every proxy left its application (or its images) for the next MPI layer.
      auto manifest = ftmpi::read_manifest(migration);
      ftmpi::Status usable = manifest.status();
      if (usable.ok()) {
        usable = ftmpi::verify_checkpoint(migration, manifest.value());
      }
      std::string to;
      // The layer started for it takes over if it runs, with the node that took the ranks
      // (already restored there: that node is taken even if its heartbeat is late).
      if (next.pid > 0 && ftmpi::poll_background(next.pid)) {
        next.pid = 0;  // it ended (and is reaped): nothing to stop
      }
      const bool next_runs = next.pid > 0 && pending.ordered;
      if (usable.ok()) {
        to = manifest.value().migrate_to;
        if (!ftmpi::move_node(*pool, manifest.value().migrate_from, to,
                              !(next_runs && to == pending.to))) {
          usable = ftmpi::not_found(fmt::format("node {} cannot take node {}'s ranks: no spare", to,
                                                manifest.value().migrate_from));
        }
      }
      if (!usable.ok()) {
        drop_pending();
        log->error("migration failed: {}; the job stops (restart it from its last checkpoint)",
                   usable.message());
        kill_job_processes(job_ckpt_dir);
        job.state = "stopped";
        job.exit_code = k_exit_software;
        return k_exit_software;
      }
      ftmpi::Manifest& m = manifest.value();
      if (m.migrate_to != to) {  // "-" (the predictor's: any spare), or one that was down
        m.migrate_to = to;
        (void)ftmpi::write_manifest(migration, m);
      }
      if (const ftmpi::Status saved = pool->save(); !saved.ok()) {
        log->error("{}", saved.message());
        return k_exit_software;
      }
      std::vector<int> moved;
      for (int r = 0; r < static_cast<int>(job.rank_nodes.size()); ++r) {
        if (job.rank_nodes[static_cast<std::size_t>(r)] == m.migrate_from) {
          moved.push_back(r);
        }
      }
      ++job.migrations;
      const bool takes_over = next_runs && pending.to == to;
      log->warn(
          "migration {}: node {} -> {}: ranks {} dumped ({:.1f} MB; quiesce {:.1f} ms, dump "
          "{:.1f} ms); {} with {} in its place",
          job.migrations, m.migrate_from, to, fmt::join(moved, ","),
          static_cast<double>(m.bytes) / 1e6, m.quiesce_ms, m.dump_ms,
          takes_over ? "the MPI layer started beforehand takes over"
                     : "the MPI layer is relaunched",
          to);
      job.events.push_back(fmt::format("{:.0f} node {} migrated to {} (ranks {})",
                                       ftmpi::wall_seconds(), m.migrate_from, to,
                                       fmt::join(moved, ",")));
      if (!slurm_hostfile.empty() && !options.no_drain) {
        drain_predicted_node(job_ckpt_dir, m.migrate_from);
      }
      if (takes_over) {
        adopted = next.pid;
        use_layer(std::move(next.layer));
        next = Prelaunch{};
        std::filesystem::remove_all(ckpt_root / ftmpi::k_prelaunch_dir, ec);
        withdraw_precopy();
      } else {
        drop_pending();
        if (!relaunch(migration, fmt::format("migration{}", job.migrations))) {
          return k_exit_software;
        }
      }
      if (ftmpi::forwarded_signal() != 0) {
        return stop_for_signal(exit_code.value());
      }
      continue;
    }
    // A migration under way (its state being written) or just relaunched: abandoned;
    // the job goes back to its last checkpoint as after a lost node.
    drop_pending();
    const bool migrating = after_migration || !migration_states(job_ckpt_dir).empty();
    remove_migration_states(job_ckpt_dir);
    std::vector<std::string> lost = ftmpi::lost_nodes(*pool, oom_before);
    // A node known only by its heartbeat looks up for a few seconds after it died.
    for (int i = 0; lost.empty() && i < static_cast<int>(pool->detection_delay() * 10); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lost = ftmpi::lost_nodes(*pool, oom_before);
    }
    for (const std::string& node : lost) {
      for (const ftmpi::PoolNode& n : pool->nodes()) {
        if (n.name == node && pool->alive(n)) {
          log->warn("node {}'s memory ran out: its OOM killer took processes of the job", node);
        }
      }
    }
    if (lost.empty() && migrating) {
      log->warn("the migration failed (the MPI layer exited with {})", exit_code.value());
    }
    if (lost.empty() && !migrating) {
      // The program failed, not a node: nothing of it may stay (an application left
      // for a relaunch that failed would wait for its next proxy).
      kill_job_processes(job_ckpt_dir);
      return exit_code.value();
    }
    const std::string lost_list = fmt::format("{}", fmt::join(lost, ", "));
    const std::string what =
        lost.empty() ? std::string("the migration failed") : "node " + lost_list + " lost";
    kill_job_processes(job_ckpt_dir);
    std::vector<std::string> replacements;
    pool->set_scores(ftmpi::read_risk_scores((ckpt_root / ftmpi::k_risk_file).string()));
    const bool replaced = ftmpi::replace_lost_nodes(*pool, lost, replacements);
    if (const ftmpi::Status saved = pool->save(); !saved.ok()) {
      log->error("{}", saved.message());
      return exit_code.value();
    }
    std::vector<std::string> skipped;
    auto chosen = ftmpi::choose_checkpoint(job_ckpt_dir, skipped);
    if (!chosen.ok()) {
      log->error("{} before the job's first checkpoint: nothing to roll back to", what);
      return exit_code.value();
    }
    if (!replaced) {
      job.state = "stopped";
      job.exit_code = ftmpi::k_exit_temporary;
      job.events.push_back(fmt::format("{:.0f} node {} lost, no spare node left: stopped",
                                       ftmpi::wall_seconds(), lost_list));
      log->error(
          "node {} lost and no spare node left: the job stops; its last checkpoint is {} "
          "(ftmpi-launch --restart {} {} once nodes are back)",
          lost_list, chosen.value(), job_ckpt_dir, rerun_hint);
      return ftmpi::k_exit_temporary;
    }
    if (rollbacks >= k_max_rollbacks) {
      log->error("{}, and the job was rolled back {} times already: it stops", what, rollbacks);
      return exit_code.value();
    }
    ++rollbacks;
    restart_from = std::filesystem::absolute(chosen.value()).string();
    const std::string where =
        replacements.empty() ? std::string() : fmt::format(" on {}", fmt::join(replacements, ", "));
    log->warn("{}: the job goes back to {}{}{}", what, restart_from, where,
              replacements.empty() ? "" : " in its place");
    job.rollbacks = rollbacks;
    job.exit_code = -1;
    job.events.push_back(fmt::format("{:.0f} {}: the job went back to {}{}", ftmpi::wall_seconds(),
                                     what, std::filesystem::path(restart_from).filename().string(),
                                     where));
    if (!relaunch(restart_from, fmt::format("rollback{}", rollbacks))) {
      return k_exit_software;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return launch(std::vector<std::string>(argv, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-launch: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "ftmpi-launch: internal error\n");
  }
  return ftmpi::k_exit_software;
}
