// The ground truth of injected faults (ftmpi-inject's faults.log in a simulated
// cluster's state directory: one JSON object per line), read as it grows so that the
// predictor puts every fault of its job's time into the trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ftmpi {

struct FaultEntry {
  double time = 0;
  std::string node;
  std::string kind;
  std::string event;  // start, end, failed
  std::string text;   // rate, duration and what was done, for the trace
};

class FaultLogReader {
 public:
  explicit FaultLogReader(std::string path) : m_path(std::move(path)) {}
  // Whole lines added since the last call (a missing file has none); lines that are not
  // fault records are skipped.
  std::vector<FaultEntry> read_new();

 private:
  std::string m_path;
  std::uint64_t m_offset = 0;
};

}  // namespace ftmpi
