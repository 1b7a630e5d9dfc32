// The MPI world of an ftmpi job, as every process of it sees it.
//
// ftmpi-launch starts N application ranks and, as world rank N, one hidden predictor
// rank (an MPMD launch), and tells every process N in FTMPI_APP_RANKS.  Right after
// MPI_Init each process joins the job world, a fixed sequence of collectives over the
// real MPI_COMM_WORLD that every process makes in the same order:
//   1. MPI_Comm_split: the application ranks (color 0) get `app`, the communicator that
//      stands for MPI_COMM_WORLD in the program; the predictor gets a communicator of
//      its own, freed at once;
//   2. MPI_Comm_dup of MPI_COMM_WORLD: `control`, ftmpi's private channel between the
//      application ranks and the predictor.
// Without FTMPI_APP_RANKS (a program linked with libftmpi started by plain mpirun) there
// is no predictor: `app` is a duplicate of MPI_COMM_WORLD and `control` is
// MPI_COMM_NULL.  All calls use PMPI_* (ftmpi's traffic never passes its own wrappers).
#pragma once

#include <mpi.h>

#include "telemetry/batch.hpp"
#include "util/job_env.hpp"
#include "util/status.hpp"

namespace ftmpi {

// Tags on the control communicator.
inline constexpr int k_tag_leave = 1;    // an application rank is finalizing
inline constexpr int k_tag_hello = 2;    // an application rank introduces itself (RankHello)
inline constexpr int k_tag_samples = 3;  // a batch of samples (telemetry/batch.hpp)

enum class JobRole { app, predictor };

struct JobWorld {
  MPI_Comm app = MPI_COMM_NULL;      // application ranks: the program's MPI_COMM_WORLD
  MPI_Comm control = MPI_COMM_NULL;  // all processes; MPI_COMM_NULL without a predictor
  int app_ranks = 0;                 // N
  int predictor_rank = -1;           // rank in MPI_COMM_WORLD and `control`, or -1
  [[nodiscard]] bool has_predictor() const noexcept { return predictor_rank >= 0; }
};

// Joins the job world (collective over MPI_COMM_WORLD; MPI must be initialised).
// Fails, before any collective, when FTMPI_APP_RANKS does not fit the job (so that
// every process fails the same way) or a predictor is started without it.
Result<JobWorld> join_job_world(JobRole role);

// join_job_world for a program's main(): on failure prints "<program>: <why>" and
// aborts the MPI job (a job whose world cannot be joined cannot go on).
JobWorld join_job_world_or_abort(JobRole role, const char* program);

// Application side of greeting: introduces this rank to the predictor (every
// application rank must, once, before its first samples).  No-op without a predictor.
Status greet_predictor(const JobWorld& world, const RankHello& hello);

// The greeting of a rank that sends no samples (a program that never used MPI).
RankHello minimal_hello(const JobWorld& world);

// Application side of leaving: tells the predictor this rank is finalizing (or, with
// `for_migration`, that its MPI layer ends for a migration while the job goes on), then
// frees both communicators.  Not collective.
Status leave_job_world(JobWorld& world, bool for_migration = false);

}  // namespace ftmpi
