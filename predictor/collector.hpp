// The predictor rank's receiving side: greets every application rank, writes the trace
// header, then stores every batch of samples until all ranks have left.
#pragma once

#include <memory>
#include <string>

#include "comm/job_world.hpp"
#include "risk.hpp"
#include "util/status.hpp"

namespace ftmpi {

struct CollectorConfig {
  std::string trace_path;  // "" for no trace
  std::string command;     // for the trace header
  std::string mode = "native";
  double sample_interval = 1;
  double flush_interval = 2;  // seconds between trace flushes
  std::string fault_log;      // injected faults to record (a simulated cluster's), or ""
  RiskPolicy risk;            // when a node's ranks should move (docs/predictor.md)
  std::shared_ptr<const Classifier> model;  // the classifier; null: the rules
  std::string predictor;                    // which, in words, for the trace
  // Where a decision asks for the migration of a node's ranks (the job's
  // request-migrate file); "" when the job has no spare nodes: decisions are recorded.
  std::string migrate_request;
  // Where each node's latest score is written for ftmpi-ctl status ("NODE SCORE" lines;
  // the job's risk.txt), or "".
  std::string scores;
  // The job's node daemons' directories (DIR/nodes), or "": a node there that holds no
  // rank (a spare) is scored from the samples its daemon leaves, and never decided on.
  std::string node_daemons;
};

// Runs until every application rank has left the job world.  Trace errors are reported
// and end the trace, never the job.  Frees the world's control communicator.
Status run_collector(JobWorld& world, const CollectorConfig& config);

}  // namespace ftmpi
