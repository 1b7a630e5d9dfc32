// ftmpi-predictor: the hidden predictor rank of a job, started by ftmpi-launch as the
// last process of the MPI world.  It never runs program code.  It receives every
// rank's samples and writes the job trace; the model grows here.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include <fmt/format.h>

#include "ckpt/manifest.hpp"
#include "classifier.hpp"
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
  // The rules' settings (docs/predictor.md); decisions ask for migrations only where the
  // job has spare nodes to go to.
  const auto setting = [](const char* name, double fallback) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): one thread
    return value != nullptr && *value != '\0' ? std::atof(value) : fallback;
  };
  config.risk.horizon = setting("FTMPI_RISK_HORIZON", config.risk.horizon);
  config.risk.threshold = setting("FTMPI_RISK_THRESHOLD", config.risk.threshold);
  config.risk.windows = static_cast<int>(setting("FTMPI_RISK_WINDOWS", config.risk.windows));
  config.risk.window = setting("FTMPI_RISK_WINDOW", config.risk.window);
  config.risk.patience = setting("FTMPI_RISK_PATIENCE", config.risk.patience);
  config.risk.patience_max = setting("FTMPI_RISK_PATIENCE_MAX", config.risk.patience_max);
  config.risk.migration_cost = setting("FTMPI_MIGRATION_COST", config.risk.migration_cost);
  config.risk.trip_celsius = setting("FTMPI_TRIP_CELSIUS", config.risk.trip_celsius);
  // The classifier ftmpi-launch checked; should it fail here after all, the rules serve.
  const std::string model = ftmpi::env_or(ftmpi::k_env_predictor_model, "rules");
  config.predictor = fmt::format("rules (horizon {:.0f} s)", config.risk.horizon);
  if (model != "rules") {
    auto loaded = ftmpi::Classifier::load(model);
    if (loaded.ok()) {
      config.model = std::move(loaded).value();
      config.predictor = fmt::format("model {}", model);
      if (std::getenv("FTMPI_RISK_THRESHOLD") == nullptr) {  // NOLINT: one thread
        config.risk.threshold = config.model->threshold();
      }
    } else {
      std::fprintf(stderr, "ftmpi-predictor: warning: %s; the rules decide instead\n",
                   loaded.status().message().c_str());
    }
  }
  config.predictor += fmt::format(
      ", threshold {:.2f}, {} windows of {:.1f} s, patience {:.2f} of the lead (at most {:.0f} s), "
      "migration cost {:.1f} s",
      config.risk.threshold, config.risk.windows, config.risk.window, config.risk.patience,
      config.risk.patience_max, config.risk.migration_cost);
  const std::string ckpt_dir = ftmpi::env_or(ftmpi::k_env_ckpt_dir, "");
  if (!ckpt_dir.empty()) {
    config.scores = (std::filesystem::path(ckpt_dir) / ftmpi::k_risk_file).string();
  }
  if (!ckpt_dir.empty() && std::getenv(ftmpi::k_env_spares) != nullptr) {  // NOLINT
    config.node_daemons = (std::filesystem::path(ckpt_dir) / ftmpi::k_nodes_dir).string();
    config.migrate_request =
        (std::filesystem::path(ckpt_dir) / ftmpi::k_migrate_request_file).string();
  }
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
