// ftmpi-predictor: the hidden predictor rank of a job, started by ftmpi-launch as the
// last process of the MPI world.  It never runs program code.  Today it joins the job
// world and waits until every application rank has finalized; the telemetry receiver,
// the trace writer and the model grow here.
#include <mpi.h>

#include <cstdio>
#include <exception>

#include "comm/job_world.hpp"

namespace {

int run(int argc, char** argv) {
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
    std::fprintf(stderr, "ftmpi-predictor: MPI_Init failed\n");
    return 1;
  }
  ftmpi::JobWorld world =
      ftmpi::join_job_world_or_abort(ftmpi::JobRole::predictor, "ftmpi-predictor");
  const ftmpi::Status served = ftmpi::serve_job_world(world);
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
