// The environment variables through which ftmpi-launch, ftmpi-rank, libftmpi and the
// predictor rank tell each other about the job.  No MPI here: the launcher uses it too.
#pragma once

namespace ftmpi {

// N, the number of application ranks; world rank N is the hidden predictor rank.
inline constexpr const char* k_env_app_ranks = "FTMPI_APP_RANKS";
// The pipe on which libftmpi reports to ftmpi-rank: 'I' after joining the job world,
// 'F' after leaving it.
inline constexpr const char* k_env_rank_fd = "FTMPI_RANK_FD";

}  // namespace ftmpi
