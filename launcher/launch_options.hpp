// The command line of ftmpi-launch, parsed into LaunchOptions.  Separate from main()
// so that every accepted and refused command line is unit-tested.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <spdlog/common.h>

#include "job_launcher.hpp"
#include "util/exit_codes.hpp"

namespace ftmpi {

enum class LaunchMode {
  native,       // the application calls the real MPI in its own process (telemetry only)
  transparent,  // the application talks to a rank proxy; checkpoint, restart, migration
};

struct LaunchOptions {
  LaunchMode mode = LaunchMode::transparent;
  LaunchSpec spec;               // program is the name as given; main() resolves it
  std::string mpirun;            // mpirun to use
  bool dry_run = false;          // print the launcher command instead of running it
  std::string trace;             // the job trace file; "" = the default name
  bool no_trace = false;         // write no trace
  bool no_drain = false;         // in Slurm: drain no node the predictor moved ranks off
  bool no_prelaunch = false;     // a migration relaunches the MPI layer after the dump
  bool precopy = true;           // a migration copies the arenas while the job runs on
  double sample_interval = 1.0;  // seconds
  std::string predictor_model;   // a model file, "rules", or "" for the installed model
  // Transparent mode's checkpoints.
  double ckpt_interval = 0;  // seconds between timed checkpoints; 0: none
  std::string ckpt_dir;      // "" = PROGRAM-DATE-TIME.ftmpi-ckpt here
  int ckpt_keep = 2;         // complete checkpoints kept
  std::string restart;       // a checkpoint (or checkpoint directory) to restart from
  std::string cluster;       // a simulated cluster (ftmpi-cluster) to run on
  int spares = 0;            // --hostfile: its last `spares` hosts are spare nodes
  std::string agent;         // --spares: runs a command on a host ("" = ssh)
  spdlog::level::level_enum log_level = spdlog::level::info;
};

// What main() should do instead of launching: print `text` and exit with `exit_code`.
struct EarlyExit {
  int exit_code = 0;
  std::string text;
  bool to_stderr = false;
};

// Exit codes of ftmpi-launch itself: util/exit_codes.hpp.
inline constexpr int k_exit_no_program = k_exit_no_input;  // the program does not exist

// Parses argv (argv[0] is the program name).  Never throws.
std::variant<LaunchOptions, EarlyExit> parse_launch_options(const std::vector<std::string>& argv);

}  // namespace ftmpi
