// JobLauncher: how the MPI layer of a job is started (mpirun today; srun with the Slurm
// issue).  One implementation per file; see docs/launcher.md, "Adding a job launcher".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

// What to start, independent of the launcher that starts it.
struct LaunchSpec {
  int ranks = 0;                        // processes the application sees
  std::optional<std::string> hostfile;  // node list; none = the local node
  std::string hosts;                    // or mpirun's --host list ("localhost:3"); "": none
  bool oversubscribe = false;           // allow more ranks than slots
  bool allow_run_as_root = false;       // the launcher refuses root without it
  bool bind_to_cores = false;           // one core per rank; the hidden rank may share
  // Rank i on the hostfile's line i (a line per slot), the hidden rank on the first
  // line's node: Open MPI's sequential mapper, the hostfile given to each application
  // context.
  bool sequential = false;
  std::vector<std::string> launcher_args;  // passed to the launcher verbatim
  std::vector<std::string> environment;    // "NAME=value" for every process started
  std::vector<std::string> rank_wrapper;   // argv prefix each application rank runs in
  std::string program;                     // resolved path of the application
  std::vector<std::string> program_args;   // the application's own arguments
  std::vector<std::string> hidden_rank;    // argv of one extra, last rank; empty: none
};

class JobLauncher {
 public:
  JobLauncher() = default;
  JobLauncher(const JobLauncher&) = delete;
  JobLauncher& operator=(const JobLauncher&) = delete;
  JobLauncher(JobLauncher&&) = delete;
  JobLauncher& operator=(JobLauncher&&) = delete;
  virtual ~JobLauncher() = default;

  // "mpirun", "srun", ...
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  // The argv that starts `spec`, or why it cannot be started.  Pure: starts nothing.
  [[nodiscard]] virtual Result<std::vector<std::string>> command(const LaunchSpec& spec) const = 0;
};

// Open MPI's mpirun at `mpirun_path` (a path or a name looked up in PATH).
std::unique_ptr<JobLauncher> make_mpirun_launcher(std::string mpirun_path);

}  // namespace ftmpi
