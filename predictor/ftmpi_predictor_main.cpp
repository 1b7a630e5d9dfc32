// ftmpi-predictor: the hidden predictor rank of a job, started by ftmpi-launch as the
// last process of the MPI world.  It never runs program code.  It receives every
// rank's samples and writes the job trace; the model grows here.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include "collector.hpp"
#include "comm/job_world.hpp"
#include "sim_cluster.hpp"
#include "util/env.hpp"
#include "util/job_env.hpp"

namespace {

int run(int argc, char** argv) {
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
    std::fprintf(stderr, "ftmpi-predictor: MPI_Init failed\n");
    return 1;
  }
  ftmpi::JobWorld world =
      ftmpi::join_job_world_or_abort(ftmpi::JobRole::predictor, "ftmpi-predictor");
  ftmpi::CollectorConfig config;
  config.trace_path = ftmpi::env_or(ftmpi::k_env_trace, "");
  config.command = ftmpi::env_or(ftmpi::k_env_command, "");
  config.mode = ftmpi::env_or(ftmpi::k_env_mode, "native");
  // On a simulated node: the cluster's injected faults are ground truth for the trace.
  if (const char* cluster = std::getenv("FTMPI_CLUSTER"); cluster != nullptr && *cluster != '\0') {
    config.fault_log =
        (std::filesystem::path(ftmpi::cluster_root()) / cluster / "faults.log").string();
  }
  config.sample_interval = std::atof(ftmpi::env_or(ftmpi::k_env_sample_interval, "1"));
  const ftmpi::Status served = ftmpi::run_collector(world, config);
  if (!served.ok()) {
    std::fprintf(stderr, "ftmpi-predictor: %s\n", served.message().c_str());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-predictor: internal error: %s\n", e.what());
  }
  return 1;
}
