#include "mpi/runtime.hpp"

#include <unistd.h>

#include <cstdlib>

#include "comm/job_world.hpp"
#include "mpi/handles.hpp"
#include "util/log.hpp"

namespace ftmpi {
namespace {

JobWorld g_world;

// Tells ftmpi-rank how far the program got; silently nothing without one.
void report_to_helper(char what) {
  const char* env = std::getenv(k_env_rank_fd);  // NOLINT(concurrency-mt-unsafe): MPI init
  if (env == nullptr) {
    return;
  }
  const int fd = std::atoi(env);
  if (fd > 2) {
    (void)!::write(fd, &what, 1);
  }
}

}  // namespace

Status runtime_start() {
  auto world = join_job_world(JobRole::app);
  if (!world.ok()) {
    return world.status();
  }
  g_world = world.value();
  PMPI_Comm_set_name(g_world.app, "MPI_COMM_WORLD");
  set_world_mapping(g_world.app);
  report_to_helper('I');
  logger("mpi")->debug("joined the job world: {} application ranks, predictor {}",
                       g_world.app_ranks, g_world.has_predictor() ? "present" : "absent");
  return {};
}

Status runtime_stop() {
  set_world_mapping(MPI_COMM_NULL);
  Status status = leave_job_world(g_world);
  report_to_helper('F');
  return status;
}

bool runtime_has_predictor() noexcept {
  return g_world.has_predictor();
}

}  // namespace ftmpi
