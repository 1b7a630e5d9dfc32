// The environment variables through which ftmpi-launch, ftmpi-rank, libftmpi and the
// predictor rank tell each other about the job.  No MPI here: the launcher uses it too.
#pragma once

namespace ftmpi {

// N, the number of application ranks; world rank N is the hidden predictor rank.
inline constexpr const char* k_env_app_ranks = "FTMPI_APP_RANKS";
// The pipe on which libftmpi reports to ftmpi-rank: 'I' after joining the job world,
// 'F' after leaving it.
inline constexpr const char* k_env_rank_fd = "FTMPI_RANK_FD";

// Seconds between samples (default 1).
inline constexpr const char* k_env_sample_interval = "FTMPI_SAMPLE_INTERVAL";
// Where node counters are read (proc/, sys/ below it; default "/").
inline constexpr const char* k_env_sysroot = "FTMPI_SYSROOT";
// The node's memory cgroup below sys/fs/cgroup/memory (default: none).
inline constexpr const char* k_env_node_cgroup = "FTMPI_NODE_CGROUP";
// The node-local directory whose file system is reported (default /tmp).
inline constexpr const char* k_env_node_dir = "FTMPI_NODE_DIR";
// The job trace the predictor writes; "" for none.
inline constexpr const char* k_env_trace = "FTMPI_TRACE";
// The command line of the job, for the trace.
inline constexpr const char* k_env_command = "FTMPI_COMMAND";
// The launch mode ("native" or "transparent"), for the trace.
inline constexpr const char* k_env_mode = "FTMPI_MODE";

// Transparent mode: the shared-memory channel an application process talks to its rank
// proxy through (set by the proxy for the process it starts).
inline constexpr const char* k_env_channel = "FTMPI_CHANNEL";
// Where rank proxies create their channels (default /dev/shm).
inline constexpr const char* k_env_channel_dir = "FTMPI_CHANNEL_DIR";

// Transparent mode's checkpoints: where they go (a directory created when the first is
// taken), how many complete ones are kept, and the seconds between timed ones (0: none).
inline constexpr const char* k_env_ckpt_dir = "FTMPI_CKPT_DIR";
inline constexpr const char* k_env_ckpt_keep = "FTMPI_CKPT_KEEP";
inline constexpr const char* k_env_ckpt_interval = "FTMPI_CKPT_INTERVAL";
// Set (to 1) when the job has spare nodes to migrate to (--cluster, --spares).
inline constexpr const char* k_env_spares = "FTMPI_SPARES";
// Set (to 1) with --precopy: the proxies track their arenas' writes for a pre-copy.
inline constexpr const char* k_env_precopy = "FTMPI_PRECOPY";
// The predictor's classifier: a model file, or "rules" for the rule-based fallback.
inline constexpr const char* k_env_predictor_model = "FTMPI_PREDICTOR_MODEL";

}  // namespace ftmpi
