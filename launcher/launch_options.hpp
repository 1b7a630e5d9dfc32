// The command line of ftmpi-launch, parsed into LaunchOptions.  Separate from main()
// so that every accepted and refused command line is unit-tested.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <spdlog/common.h>

#include "job_launcher.hpp"

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
  double sample_interval = 1.0;  // seconds
  // Transparent mode's checkpoints.
  double ckpt_interval = 0;  // seconds between timed checkpoints; 0: none
  std::string ckpt_dir;      // "" = PROGRAM-DATE-TIME.ftmpi-ckpt here
  int ckpt_keep = 2;         // complete checkpoints kept
  std::string restart;       // a checkpoint (or checkpoint directory) to restart from
  spdlog::level::level_enum log_level = spdlog::level::info;
};

// What main() should do instead of launching: print `text` and exit with `exit_code`.
struct EarlyExit {
  int exit_code = 0;
  std::string text;
  bool to_stderr = false;
};

// Exit codes of ftmpi-launch itself (the application's own exit code is passed through
// otherwise).  From sysexits.h, so they rarely collide with an application's codes.
inline constexpr int k_exit_usage = 64;          // bad command line
inline constexpr int k_exit_corrupt = 65;        // a checkpoint is damaged
inline constexpr int k_exit_no_program = 66;     // the program does not exist
inline constexpr int k_exit_unavailable = 69;    // a requested feature is not available
inline constexpr int k_exit_cannot_create = 73;  // an output file cannot be created
inline constexpr int k_exit_software = 70;       // an internal error in ftmpi-launch

// Parses argv (argv[0] is the program name).  Never throws.
std::variant<LaunchOptions, EarlyExit> parse_launch_options(const std::vector<std::string>& argv);

}  // namespace ftmpi
