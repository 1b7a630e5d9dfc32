// libftmpi's runtime in the application process: joins the job world after the real
// MPI_Init, maps MPI_COMM_WORLD to the application's ranks, introduces the rank to the
// predictor and starts its sampler, tells the rank helper (ftmpi-rank) how far the
// program got, and before the real MPI_Finalize sends the last samples and leaves.
#pragma once

#include <sys/types.h>

#include "telemetry/samples.hpp"
#include "util/job_env.hpp"
#include "util/status.hpp"

namespace ftmpi {

// The process whose counters this rank samples and reports (the application process a
// rank proxy serves); by default this one.  Before MPI_Init.
void set_sampled_process(pid_t pid) noexcept;

// A checkpoint or restart of this rank for the trace: sent to the predictor with the
// next samples (at the latest at MPI_Finalize); dropped without a predictor.
void record_checkpoint(const CheckpointRecord& record);

// After a successful PMPI_Init/PMPI_Init_thread.  On failure the caller aborts the job.
Status runtime_start();
// Before PMPI_Finalize.
Status runtime_stop();
// A rank proxy whose MPI layer ends for a migration (the job goes on): said so to the
// predictor when it leaves.
void set_leaving_for_migration() noexcept;

}  // namespace ftmpi
