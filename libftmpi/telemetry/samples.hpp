// The records of the job trace: one RankSample per rank per sampling interval, one
// NodeSample per node per interval, and Events.  Plain, fixed-size structs: they travel
// between processes as bytes (MPI_BYTE) and are stored as HDF5 compound rows.  Each has
// a field table, the one description of its columns that the HDF5 writer, the reader,
// the CSV export and the summary all use.  docs/trace-format.md documents them; bump
// k_trace_schema_version when a column changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ftmpi {

inline constexpr int k_trace_schema_version = 5;

// MPI call classes in samples, in CallClass order.
inline constexpr std::size_t k_mpi_classes = 7;
inline constexpr std::string_view k_mpi_class_names[k_mpi_classes] = {
    "init", "comm", "type", "p2p", "probe", "wait", "coll"};
// Hardware counters ftmpi asks PAPI for, in this order; -1 where unavailable.
inline constexpr std::size_t k_papi_events = 3;
inline constexpr std::string_view k_papi_event_names[k_papi_events] = {
    "PAPI_TOT_INS", "PAPI_TOT_CYC", "PAPI_L3_TCM"};

struct RankSample {
  double time = 0;             // seconds since the epoch (CLOCK_REALTIME)
  std::int32_t rank = -1;      // in the application's MPI_COMM_WORLD
  std::int32_t node = -1;      // index into /nodes/info (set by the predictor)
  double cpu_user = 0;         // CPU seconds in user mode, cumulative
  double cpu_system = 0;       // CPU seconds in kernel mode, cumulative
  std::int64_t rss_bytes = 0;  // resident set size
  std::int64_t minor_faults = 0;
  std::int64_t major_faults = 0;
  std::int64_t voluntary_switches = 0;
  std::int64_t involuntary_switches = 0;
  std::int64_t read_bytes = 0;                 // storage I/O, cumulative (/proc/PID/io)
  std::int64_t write_bytes = 0;                // storage I/O, cumulative
  std::int64_t mpi_calls[k_mpi_classes] = {};  // cumulative, per call class
  double mpi_seconds[k_mpi_classes] = {};      // time inside MPI, cumulative
  std::int64_t mpi_bytes[k_mpi_classes] = {};  // bytes sent, cumulative
  std::int64_t papi[k_papi_events] = {-1, -1, -1};
};

struct NodeSample {
  double time = 0;
  std::int32_t node = -1;       // set by the predictor
  std::int32_t reporter = -1;   // the rank that sampled this node
  std::int64_t mem_total = -1;  // bytes (/proc/meminfo)
  std::int64_t mem_available = -1;
  std::int64_t swap_used = -1;
  double load1 = -1;         // /proc/loadavg
  double cpu_busy = -1;      // fraction of all CPUs busy since the last sample
  double cpu_iowait = -1;    // fraction waiting for I/O
  double psi_cpu_some = -1;  // /proc/pressure, avg10 in percent; -1: none
  double psi_memory_some = -1;
  double psi_memory_full = -1;
  double psi_io_some = -1;
  double psi_io_full = -1;
  std::int64_t cgroup_memory_usage = -1;  // the node's memory cgroup; -1: none
  std::int64_t cgroup_memory_limit = -1;  // -1: none or unlimited
  std::int64_t edac_corrected = -1;       // memory errors (EDAC), cumulative; -1: none
  std::int64_t edac_uncorrected = -1;
  std::int64_t net_errors = -1;  // rx+tx errors over non-loopback NICs
  std::int64_t net_drops = -1;   // rx+tx drops
  std::int64_t disk_total = -1;  // the node-local directory's file system
  std::int64_t disk_free = -1;
  double temperature_max = -1;  // hottest thermal zone, deg C; -1: none
  // Schema version 5: the file cache in the cgroup's usage that the kernel reclaims
  // first (util/cgroup_memory.hpp); -1: none or not known (and in older traces).
  std::int64_t cgroup_memory_inactive_file = -1;
};

struct Event {
  double time = 0;
  std::int32_t rank = -1;  // -1: not about one rank
  std::int32_t node = -1;  // -1: not about one node
  char kind[32] = {};      // "job_start", "job_end", "checkpoint", ...
  char detail[160] = {};   // free text, NUL-terminated
};

// One rank's part of a checkpoint, a restart or a migration, or (rank -1) a whole
// migration: how long each phase took and how many bytes the images hold.  Phases a
// kind does not have are 0.  Kinds: "checkpoint", "restart"; a migration's
// "migration-out" (each rank of the old MPI layer), "migrated" and "reattached" (each
// rank of the new one: restored from images, or its running application taken over)
// and "migration" (rank -1: the job's, from rank 0 of the new layer, total_ms being
// the downtime the application saw).
struct CheckpointRecord {
  double time = 0;           // when the rank finished its part
  std::int32_t rank = -1;    // in the application's MPI_COMM_WORLD
  std::int32_t node = -1;    // set by the predictor
  char kind[16] = {};        // see above
  std::int64_t epoch = 0;    // the checkpoint's number (ckpt-NNNNNN)
  double quiesce_ms = 0;     // checkpoint: from the request to a quiet job
  double dump_ms = 0;        // checkpoint: CRIU dump of the application process
  double write_ms = 0;       // checkpoint: proxy state, channel, sizes and checksums
  double restore_ms = 0;     // restart: manifest and checksums checked, CRIU restore
  double rebuild_ms = 0;     // restart: communicators, datatypes, ... rebuilt on the new MPI
  double total_ms = 0;       // the whole of it; at rank 0 of a checkpoint up to the manifest
  std::int64_t bytes = 0;    // this rank's image files
  std::int64_t drained = 0;  // checkpoint: messages drained from the network by this rank
  // Schema version 3: the phases only a migration has.
  double decision_ms = 0;  // from the request (ftmpi-ctl, the predictor) to the quiesce
  double predump_ms = 0;   // pre-copy of the arenas while the application ran (0: none)
  double transfer_ms = 0;  // images moved to the destination (0: on shared storage)
  double relaunch_ms = 0;  // the MPI layer ended and started again with the new node
  double resume_ms = 0;    // from the last rank rebuilt to every rank going on
};

// Schema version 4: the predictor's assessment of a node after each of its samples.
struct Prediction {
  double time = 0;           // the sample's
  std::int32_t node = -1;    // index into /nodes/info
  std::int32_t decided = 0;  // 1: this assessment decided to move the node's ranks
  double score = 0;          // failure probability, 0..1
  double lead = -1;          // seconds to the nearest forecast limit; -1: none
  char reason[120] = {};     // what drives the score, in words
};

enum class FieldType : std::uint8_t { int32, int64, float64, text };

struct Field {
  std::string_view name;
  std::size_t offset;
  FieldType type;
  std::size_t size;  // bytes (text: the array size)
};

std::span<const Field> rank_sample_fields();
std::span<const Field> node_sample_fields();
std::span<const Field> event_fields();
std::span<const Field> checkpoint_fields();
std::span<const Field> prediction_fields();

// A numeric field of `row` as text (shortest form that reads back the same); "" for text
// fields.
std::string field_text(const void* row, const Field& field);
// Sets a numeric field of `row` from text; false when the text is no such number.
bool set_field(void* row, const Field& field, std::string_view text);

// A node's sample as text, what a node daemon leaves for the predictor: a first line
// "ftmpi-node-sample 1", then "FIELD VALUE" per numeric field of node_sample_fields()
// (docs/trace-format.md, "Samples of nodes without ranks").
std::string node_sample_text(const NodeSample& sample);
// Fields the text lacks keep their defaults; false when it is not such a sample.
bool parse_node_sample_text(std::string_view text, NodeSample& sample);

// Copies `text` into a fixed field, truncating, always NUL-terminated.
template <std::size_t N>
void set_text(char (&field)[N], std::string_view text) {
  const std::size_t n = text.size() < N - 1 ? text.size() : N - 1;
  text.copy(field, n);
  field[n] = '\0';
}

}  // namespace ftmpi
