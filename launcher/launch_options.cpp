#include "launch_options.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "util/cli_checks.hpp"
#include "util/log.hpp"

#ifndef FTMPI_DEFAULT_MPIRUN
#define FTMPI_DEFAULT_MPIRUN "mpirun"
#endif

namespace ftmpi {
namespace {

constexpr const char* k_description =
    "Runs an unmodified MPI program under ftmpi.\n"
    "\n"
    "Usage: ftmpi-launch [OPTIONS] -np N PROGRAM [ARGS...]\n"
    "\n"
    "ftmpi-launch starts PROGRAM on N ranks through mpirun and passes its standard\n"
    "input, output and error through.  Its exit code is the program's (as mpirun\n"
    "reports it); its own errors use 64 (bad usage), 65 (damaged checkpoint or\n"
    "model), 66 (program, checkpoint or model not found), 69 (feature not\n"
    "available), 70 (internal error), 73 (trace or checkpoint directory not\n"
    "writable) and 75 (a node lost with no spare left).\n"
    "Every rank is sampled (CPU, memory, faults, I/O, MPI activity, node health) into\n"
    "one HDF5 trace per job; 'ftmpi-trace summary FILE' reads it.\n"
    "Everything after PROGRAM is passed to PROGRAM; use -- before a PROGRAM whose\n"
    "name starts with '-'.";

constexpr const char* k_footer =
    "Environment:\n"
    "  FTMPI_MPIRUN      mpirun to use when --mpirun is not given\n"
    "  FTMPI_LOG_LEVEL   default for --log-level\n"
    "\n"
    "Examples:\n"
    "  ftmpi-launch -np 4 ./jacobi2d -n 512 -i 1000\n"
    "  ftmpi-launch --hostfile nodes.txt -np 16 ./cg -n 1024\n"
    "  ftmpi-launch --mpirun-arg=--bind-to --mpirun-arg=core -np 8 ./app\n"
    "\n"
    "See ftmpi-launch(1) in docs/ftmpi-launch.md for the full reference.";

// Splits argv[1..] into ftmpi-launch's own arguments and the program's (PROGRAM and
// everything after it).  The program starts at "--" or at the first word that is
// neither an option nor the value of one, so a program's own options are never ours.
// mpirun spells the rank count "-np", which CLI11 cannot; it becomes "--np".
struct SplitArgs {
  std::vector<std::string> ours;
  std::vector<std::string> program;
};

SplitArgs split_args(const CLI::App& app, const std::vector<std::string>& argv) {
  SplitArgs split;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      split.program.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      split.program.assign(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
      break;
    }
    if (arg == "-np" || arg.rfind("-np=", 0) == 0) {
      arg.insert(0, "-");
    }
    split.ours.push_back(arg);
    if (arg.find('=') != std::string::npos) {
      continue;
    }
    // An option that takes a value consumes the next word.
    for (const CLI::Option* option : app.get_options()) {
      if (option->check_name(arg) && option->get_items_expected_min() > 0 && i + 1 < argv.size()) {
        split.ours.push_back(argv[++i]);
        break;
      }
    }
  }
  return split;
}

std::variant<LaunchOptions, EarlyExit> parse_or_throw(const std::vector<std::string>& argv) {
  LaunchOptions options;
  const char* env_mpirun = std::getenv("FTMPI_MPIRUN");
  options.mpirun =
      (env_mpirun != nullptr && *env_mpirun != '\0') ? env_mpirun : FTMPI_DEFAULT_MPIRUN;
  std::string log_level = "info";
  if (const char* env_level = std::getenv("FTMPI_LOG_LEVEL"); env_level != nullptr) {
    log_level = env_level;
  }

  CLI::App app(k_description, "ftmpi-launch");
  app.footer(k_footer);
  app.get_formatter()->column_width(34);

  int ranks = 0;
  app.add_option("-n,--np", ranks, "Number of ranks the program runs on (also: -np N)")
      ->check(CLI::Range(1, 1000000))
      ->type_name("N");
  app.add_option("--restart", options.restart,
                 "Restart a job from CHECKPOINT (a ckpt-NNNNNN directory, or a checkpoint\n"
                 "directory: its newest valid checkpoint); implies --mode transparent;\n"
                 "-np and PROGRAM come from the checkpoint")
      ->check(ftmpi::non_empty())
      ->type_name("CHECKPOINT");
  const std::map<std::string, LaunchMode> modes{{"native", LaunchMode::native},
                                                {"transparent", LaunchMode::transparent}};
  app.add_option("--mode", options.mode,
                 "transparent: each rank runs beside a rank proxy; checkpoints and\n"
                 "restart (needs CRIU); native: the program calls MPI itself\n"
                 "(telemetry only, no CRIU needed)")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->default_str("transparent");
  app.add_option("--trace", options.trace,
                 "Write the job trace to FILE (default: PROGRAM-DATE-TIME.ftmpi.h5 here)")
      ->check(ftmpi::non_empty())
      ->type_name("FILE");
  app.add_flag("--no-trace", options.no_trace, "Write no trace");
  app.add_option("--sample-interval", options.sample_interval,
                 "Seconds between samples of each rank and node")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.01, 3600.0))
      ->default_str("1")
      ->type_name("SECONDS");
  app.add_option("--predictor-model", options.predictor_model,
                 "The predictor's failure classifier: a model from ftmpi-train, or 'rules'\n"
                 "for the rule-based fallback (default: the model installed with ftmpi)")
      ->check(ftmpi::non_empty())
      ->type_name("FILE|rules");
  app.add_flag("--no-drain", options.no_drain,
               "Inside a Slurm allocation: do not drain the nodes whose ranks the predictor\n"
               "moved (by default such a node is drained, with the prediction as reason)");
  app.add_flag("--no-prelaunch", options.no_prelaunch,
               "Migrations: start the next MPI layer only after the moving ranks were dumped\n"
               "(by default it starts first, while the job runs on, and the ranks move once\n"
               "it is up: a shorter downtime)");
  app.add_flag("--precopy", options.precopy,
               "Migrations: copy the moving ranks' memory (their arenas) while the job runs\n"
               "on, with the next MPI layer started first, so that the dump adds only what\n"
               "changed since: a shorter downtime for large memory (the default; needs\n"
               "Linux 6.7 or later, before it the arenas go with the dump; docs/migration.md\n"
               "\"Pre-copy\")");
  app.add_flag_callback(
      "--no-precopy", [&options] { options.precopy = false; },
      "Migrations: no pre-copy: the moving ranks' arenas go with the final dump (for an\n"
      "application that rewrites most of its memory between MPI calls)");
  app.add_option("--ckpt-interval", options.ckpt_interval,
                 "Transparent mode: take a checkpoint every SECONDS (default: only on request)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("SECONDS");
  app.add_option("--ckpt-dir", options.ckpt_dir,
                 "Transparent mode: where checkpoints go (default: "
                 "PROGRAM-DATE-TIME.ftmpi-ckpt here; made at the start, removed at the end "
                 "if no checkpoint was taken)")
      ->check(ftmpi::non_empty())
      ->type_name("DIR");
  app.add_option("--ckpt-keep", options.ckpt_keep, "Complete checkpoints to keep")
      ->check(CLI::Range(1, 1000))
      ->default_str("2")
      ->type_name("K");
  app.add_option("--cluster", options.cluster,
                 "Run on the active nodes of simulated cluster NAME (ftmpi-cluster up)")
      ->check(ftmpi::non_empty())
      ->type_name("NAME");
  app.add_option("--hostfile", options.spec.hostfile,
                 "Nodes to run on, in Open MPI hostfile format")
      ->check(CLI::ExistingFile)
      ->type_name("FILE");
  app.add_option("--spares", options.spares,
                 "Transparent mode with --hostfile (or in a Slurm allocation): the last K hosts "
                 "are spare nodes (a lost node's ranks restart there; ftmpi-ctl migrate moves "
                 "ranks there)")
      ->check(CLI::Range(1, 100000))
      ->type_name("K");
  app.add_option("--agent", options.agent,
                 "With --spares: the command that runs a command on a host, for the node "
                 "daemons and mpirun (default: ssh; in a Slurm allocation: srun)")
      ->check(ftmpi::non_empty())
      ->type_name("COMMAND");
  app.add_flag("--oversubscribe", options.spec.oversubscribe,
               "Allow more ranks than a node has slots (as mpirun)");
  app.add_flag("--allow-run-as-root", options.spec.allow_run_as_root,
               "Allow running as root (as mpirun)");
  app.add_option("--mpirun-arg", options.spec.launcher_args,
                 "Pass ARG to mpirun verbatim; repeat for several (--mpirun-arg=--bind-to ...)")
      ->type_name("ARG")
      ->allow_extra_args(false);
  app.add_option("--mpirun", options.mpirun, "mpirun to use")
      ->check(ftmpi::non_empty())
      ->type_name("PATH")
      ->default_str(options.mpirun);
  app.add_flag("--dry-run", options.dry_run, "Print the mpirun command and exit");
  app.add_option("--log-level", log_level,
                 "ftmpi's own messages on stderr: trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->type_name("LEVEL");
  app.set_version_flag("--version", fmt::format("ftmpi-launch {}", FTMPI_VERSION_STRING));

  const SplitArgs split = split_args(app, argv);
  try {
    std::vector<std::string> ours = split.ours;
    std::reverse(ours.begin(), ours.end());  // CLI11 takes its vector last-first
    app.parse(ours);
  } catch (const CLI::CallForHelp&) {
    return EarlyExit{0, app.help(), false};
  } catch (const CLI::CallForVersion&) {
    return EarlyExit{0, fmt::format("ftmpi-launch {}\n", FTMPI_VERSION_STRING), false};
  } catch (const CLI::ParseError& e) {
    return EarlyExit{k_exit_usage,
                     fmt::format("ftmpi-launch: error: {}\nRun 'ftmpi-launch --help' for the "
                                 "options.\n",
                                 e.what()),
                     true};
  }

  const std::vector<std::string>& rest = split.program;
  if (options.no_trace && !options.trace.empty()) {
    return EarlyExit{k_exit_usage,
                     "ftmpi-launch: error: --trace and --no-trace exclude each other\n", true};
  }
  if (!options.restart.empty()) {
    options.mode = LaunchMode::transparent;
    if (!rest.empty()) {
      options.spec.program = rest.front();
      options.spec.program_args.assign(rest.begin() + 1, rest.end());
    }
    options.spec.ranks = ranks;
    if (!parse_log_level(log_level, options.log_level)) {
      return EarlyExit{k_exit_usage,
                       fmt::format("ftmpi-launch: error: unknown log level '{}'\n", log_level),
                       true};
    }
    return options;
  }
  if (ranks < 1) {
    return EarlyExit{k_exit_usage,
                     "ftmpi-launch: error: --np is required\n"
                     "Run 'ftmpi-launch --help' for the options.\n",
                     true};
  }
  if (rest.empty()) {
    return EarlyExit{k_exit_usage,
                     "ftmpi-launch: error: no PROGRAM given\n"
                     "Usage: ftmpi-launch [OPTIONS] -np N PROGRAM [ARGS...]\n",
                     true};
  }
  options.spec.ranks = ranks;
  options.spec.program = rest.front();
  options.spec.program_args.assign(rest.begin() + 1, rest.end());
  if (!parse_log_level(log_level, options.log_level)) {
    return EarlyExit{k_exit_usage,
                     fmt::format("ftmpi-launch: error: unknown log level '{}'\n", log_level), true};
  }
  return options;
}

}  // namespace

std::variant<LaunchOptions, EarlyExit> parse_launch_options(const std::vector<std::string>& argv) {
  try {
    return parse_or_throw(argv);
  } catch (const std::exception& e) {
    return EarlyExit{k_exit_software, fmt::format("ftmpi-launch: internal error: {}\n", e.what()),
                     true};
  }
}

}  // namespace ftmpi
