// The job trace: one HDF5 file per job, written by the predictor rank alone in SWMR
// mode (readers may open it while the job runs), read by ftmpi-trace and the tests.
// docs/trace-format.md is the schema's reference; /job's schema_version attribute is
// k_trace_schema_version; readers refuse newer versions.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "telemetry/samples.hpp"
#include "util/status.hpp"

namespace ftmpi {

struct RankInfo {
  std::int32_t rank = -1;
  std::int32_t node = -1;
  std::int64_t pid = 0;
};

struct NodeInfo {
  std::int32_t node = -1;
  char name[64] = {};
};

// What the trace says about the job as a whole (/job attributes, /ranks/info,
// /nodes/info).  Fixed before SWMR writing starts.
struct TraceHeader {
  std::string command;
  std::string mode = "native";
  std::string ftmpi_version;
  std::string papi;  // counters available (or why not), per HardwareCounters
  double start_time = 0;
  double sample_interval = 1;
  std::vector<RankInfo> ranks;
  std::vector<NodeInfo> nodes;
};

class TraceWriter {
 public:
  // Creates (truncates) `path`, writes the header and every dataset, and starts SWMR
  // writing.  Not thread-safe.
  static Result<std::unique_ptr<TraceWriter>> create(const std::string& path,
                                                     const TraceHeader& header);
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  TraceWriter(TraceWriter&&) = delete;
  TraceWriter& operator=(TraceWriter&&) = delete;
  ~TraceWriter();

  Status append(std::span<const RankSample> rows);
  Status append(std::span<const NodeSample> rows);
  Status append(std::span<const Event> rows);
  Status append(std::span<const CheckpointRecord> rows);
  Status append(std::span<const Prediction> rows);
  // Makes everything appended so far visible to readers and durable against a crash.
  Status flush();
  // Flushes and closes; the destructor does the same, ignoring errors.
  Status close();

 private:
  struct Impl;
  explicit TraceWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

struct TraceContents {
  TraceHeader header;
  std::vector<RankSample> rank_samples;
  std::vector<NodeSample> node_samples;
  std::vector<Event> events;
  std::vector<CheckpointRecord> checkpoints;  // empty in version-1 traces
  std::vector<Prediction> predictions;        // empty before version 4
};

// Reads a whole trace, also one that is being written (SWMR) or whose writer was
// killed.  Refuses, with a message saying what is wrong, files that are not HDF5, not
// ftmpi traces, or traces of another schema version.
Result<TraceContents> read_trace(const std::string& path);

}  // namespace ftmpi
