// Checkpoints on disk (docs/checkpoint-format.md):
//
//   CKPT_ROOT/ckpt-000003/            one checkpoint (epoch 3)
//     rank-0/  rank-1/ ...            per rank: CRIU images, channel.bin, rank.json
//     MANIFEST.json                   written last: the checkpoint counts only with it
//
// The manifest lists every file with its size and CRC-32, so a truncated or corrupted
// image is found before a restart uses it.  No MPI here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

inline constexpr int k_manifest_version = 1;
inline constexpr const char* k_manifest_name = "MANIFEST.json";
// In the checkpoint root: the running job ("key value" lines: launcher_pid, ranks,
// command), and a request for a checkpoint (ftmpi-ctl writes it, proxy 0 takes it).
inline constexpr const char* k_job_file = "job.txt";
inline constexpr const char* k_checkpoint_request_file = "request-checkpoint";
// ftmpi-ctl migrate and the predictor: "FROM TO TIME", the nodes (docs/migration.md);
// ftmpi-launch takes it.  Without spare nodes (no launcher to take it) proxy 0 refuses it.
inline constexpr const char* k_migrate_request_file = "request-migrate";
// ftmpi-launch's order to the proxies, "FROM TO TIME": quiesce and write the state of
// node FROM for TO, once the next MPI layer is up (or at once, without one).
inline constexpr const char* k_migrate_order_file = "order-migrate";
// The next MPI layer started before a migration: each of its rank proxies, once in
// MPI, makes an empty file named by its rank in this directory.
inline constexpr const char* k_prelaunch_dir = "prelaunch";
// A migration's pre-copy (docs/migration.md): ftmpi-launch's order "FROM STATE", and
// where the proxies of node FROM copy their arenas (rank-R.img) and say when they are
// done (rank-R.done, or rank-R.failed with the reason).
inline constexpr const char* k_precopy_order_file = "order-precopy";
inline constexpr const char* k_precopy_dir = "precopy";
// Proxy 0, when it gives a migration up (the job was never quiet enough): "FROM".
inline constexpr const char* k_migration_abandoned_file = "abandoned-migration";
// ftmpi-launch: how many spares were up when the MPI layer started (the predictor asks
// for no migration when none is).
inline constexpr const char* k_spares_file = "spares";
// The predictor's decisions that asked for a migration: "TIME<TAB>NODE<TAB>WHY" lines.
inline constexpr const char* k_predictions_file = "predictions";
// The predictor's latest failure-probability score of each node: "NODE SCORE" lines.
inline constexpr const char* k_risk_file = "risk.txt";
// The job's node daemons (ftmpi-noded): one directory per node, NODE/heartbeat, and
// NODE/node-sample, the node's latest counters (telemetry/samples.hpp).
inline constexpr const char* k_nodes_dir = "nodes";
inline constexpr const char* k_node_sample_file = "node-sample";

struct CheckpointFile {
  std::string path;  // relative to the checkpoint's directory
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
};

struct RankCheckpoint {
  int rank = 0;
  std::string channel;  // the channel file the application maps
  std::vector<CheckpointFile> files;
};

struct Manifest {
  std::uint64_t epoch = 0;
  double time = 0;  // seconds since the epoch, when it was complete
  std::string command;
  double quiesce_ms = 0;
  double dump_ms = 0;
  double total_ms = 0;  // from the quiesce's start to the manifest, on rank 0
  std::uint64_t bytes = 0;
  std::vector<RankCheckpoint> ranks;
  // A migration's state (migration-NNNNNN): the node left and the one it goes to.
  // A migration's state is read back seconds after it was written, on the same storage:
  // its files' sizes are checked, not their contents (no CRC-32 pass over the images).
  bool checksums = true;
  std::string migrate_from;
  std::string migrate_to;
  double decision_ms = 0;  // from the request to the quiesce
  double precopy_ms = 0;   // the longest pre-copy of a moving rank (within the decision)
};

// "ckpt-000003".
std::string checkpoint_name(std::uint64_t epoch);
// "migration-000003": a migration's state, beside the checkpoints (docs/migration.md).
std::string migration_name(std::uint64_t epoch);
// Size and CRC-32 of every regular file below `dir`/`sub`, paths relative to `dir`.
// Without `checksums`, sizes only (crc32 0).
Result<std::vector<CheckpointFile>> describe_files(const std::string& dir, const std::string& sub,
                                                   bool checksums = true);
// The JSON of one rank's part (what each proxy sends to proxy 0), and back.
std::string rank_to_json(const RankCheckpoint& rank);
Result<RankCheckpoint> rank_from_json(const std::string& text);
// Writes dir/MANIFEST.json atomically (a temporary file, fsync, rename).
Status write_manifest(const std::string& dir, const Manifest& manifest);
// Reads dir/MANIFEST.json; refuses a missing, unreadable or foreign one.
Result<Manifest> read_manifest(const std::string& dir);
// Checks every file the manifest lists: present, same size, same CRC-32.
Status verify_checkpoint(const std::string& dir, const Manifest& manifest);
// The checkpoints below `root`, oldest first, and whether each is complete (has a
// manifest).
struct CheckpointEntry {
  std::string path;
  std::uint64_t epoch = 0;
  bool complete = false;
};
std::vector<CheckpointEntry> list_checkpoints(const std::string& root);
// The checkpoint to restart from: `path` itself if it is one (it must verify), else the
// newest checkpoint below it that verifies; `skipped` gets a line for each newer one
// that did not (incomplete, truncated, corrupted).
Result<std::string> choose_checkpoint(const std::string& path, std::vector<std::string>& skipped);
// Keeps the newest `keep` complete checkpoints; removes older ones and incomplete ones
// older than the newest complete one.  Never touches `in_progress` (an epoch being
// written).
void prune_checkpoints(const std::string& root, int keep, std::uint64_t in_progress);
// The migration states below `root` (migration-NNNNNN), oldest first; the newest
// complete one (with its manifest), or ""; all of them removed.
std::vector<std::string> migration_states(const std::string& root);
std::string newest_migration_state(const std::string& root);
void remove_migration_states(const std::string& root);

}  // namespace ftmpi
