#include "comm/job_world.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "comm/mpi_status.hpp"
#include "util/env.hpp"

namespace ftmpi {
namespace {

Result<int> app_ranks_from_env(int world_size) {
  const char* env = env_or(k_env_app_ranks, nullptr);
  if (env == nullptr) {
    return 0;
  }
  char* end = nullptr;
  const long n = std::strtol(env, &end, 10);
  if (*end != '\0' || n < 1 || n != world_size - 1) {
    return invalid_argument(fmt::format(
        "{}={} does not fit a job of {} processes (expected {} + 1 predictor); start the job "
        "with ftmpi-launch",
        k_env_app_ranks, env, world_size, world_size - 1));
  }
  return static_cast<int>(n);
}

}  // namespace

Result<JobWorld> join_job_world(JobRole role) {
  int world_rank = 0;
  int world_size = 0;
  FTMPI_RETURN_IF_ERROR(mpi_status("MPI_Comm_rank", PMPI_Comm_rank(MPI_COMM_WORLD, &world_rank)));
  FTMPI_RETURN_IF_ERROR(mpi_status("MPI_Comm_size", PMPI_Comm_size(MPI_COMM_WORLD, &world_size)));
  auto n = app_ranks_from_env(world_size);
  if (!n.ok()) {
    return n.status();
  }
  JobWorld world;
  if (n.value() == 0) {
    if (role == JobRole::predictor) {
      return invalid_argument(
          fmt::format("the predictor needs {}; it is started by ftmpi-launch", k_env_app_ranks));
    }
    world.app_ranks = world_size;
    FTMPI_RETURN_IF_ERROR(mpi_status("MPI_Comm_dup", PMPI_Comm_dup(MPI_COMM_WORLD, &world.app)));
    return world;
  }
  world.app_ranks = n.value();
  world.predictor_rank = n.value();
  const bool is_predictor = world_rank == world.predictor_rank;
  if (is_predictor != (role == JobRole::predictor)) {
    return internal_error(
        fmt::format("world rank {} is {} but runs as {}: the job was not started by ftmpi-launch",
                    world_rank, is_predictor ? "the predictor's" : "an application rank",
                    role == JobRole::predictor ? "the predictor" : "the application"));
  }
  MPI_Comm split = MPI_COMM_NULL;
  FTMPI_RETURN_IF_ERROR(mpi_status(
      "MPI_Comm_split", PMPI_Comm_split(MPI_COMM_WORLD, is_predictor ? 1 : 0, world_rank, &split)));
  FTMPI_RETURN_IF_ERROR(mpi_status("MPI_Comm_dup", PMPI_Comm_dup(MPI_COMM_WORLD, &world.control)));
  if (is_predictor) {
    PMPI_Comm_free(&split);
  } else {
    world.app = split;
  }
  return world;
}

JobWorld join_job_world_or_abort(JobRole role, const char* program) {
  auto world = join_job_world(role);
  if (!world.ok()) {
    std::fprintf(stderr, "%s: %s\n", program, world.status().message().c_str());
    PMPI_Abort(MPI_COMM_WORLD, 1);
  }
  return world.value();
}

Status greet_predictor(const JobWorld& world, const RankHello& hello) {
  if (!world.has_predictor()) {
    return {};
  }
  return mpi_status("MPI_Send", PMPI_Send(&hello, sizeof hello, MPI_BYTE, world.predictor_rank,
                                          k_tag_hello, world.control));
}

RankHello minimal_hello(const JobWorld& world) {
  RankHello hello;
  if (world.app != MPI_COMM_NULL) {
    PMPI_Comm_rank(world.app, &hello.rank);
  }
  hello.pid = ::getpid();
  ::gethostname(hello.host, sizeof hello.host - 1);
  set_text(hello.papi, "none: the program did not use MPI");
  return hello;
}

Status leave_job_world(JobWorld& world, bool for_migration) {
  Status status;
  if (world.control != MPI_COMM_NULL) {
    const char reason = 'm';
    status = mpi_status("MPI_Send", PMPI_Send(&reason, for_migration ? 1 : 0, MPI_BYTE,
                                              world.predictor_rank, k_tag_leave, world.control));
    PMPI_Comm_free(&world.control);
  }
  if (world.app != MPI_COMM_NULL) {
    PMPI_Comm_free(&world.app);
  }
  return status;
}

}  // namespace ftmpi
