// The job file (CHECKPOINT_DIR/job.txt): what ftmpi-launch tells ftmpi-ctl about the job
// that writes checkpoints there, as "key value" lines (docs/checkpoint-format.md).
// Written when the job starts, rewritten at each roll-back and when it ends (kept
// then only if a checkpoint is in the directory).
#pragma once

#include <string>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

struct JobInfo {
  long launcher_pid = 0;
  int ranks = 0;
  std::string state = "running";        // running, finished, stopped
  int exit_code = -1;                   // once finished or stopped
  std::string cluster;                  // a simulated cluster, or ""
  bool pool = false;                    // a hostfile with spares (DIR/pool.json)
  std::vector<std::string> rank_nodes;  // the node of each rank, where known
  int rollbacks = 0;
  int migrations = 0;
  std::vector<std::string> events;  // "SECONDS text": roll-backs and the like
};

// Atomically (a temporary file renamed over it).
Status write_job_info(const std::string& dir, const JobInfo& info);
Result<JobInfo> read_job_info(const std::string& dir);

}  // namespace ftmpi
