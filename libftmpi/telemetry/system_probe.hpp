// Reading a process's and a node's counters from /proc and /sys.
//
// Node counters are read under a configurable root, so that a simulated node (or a
// test) can provide its own /proc/pressure, EDAC, NIC and thermal files; everything
// missing reads as -1 ("not available here"), never as an error.  Not thread-safe; one
// probe per sampling thread.
#pragma once

#include <cstdint>
#include <string>

#include "telemetry/samples.hpp"
#include "util/status.hpp"

namespace ftmpi {

struct ProcessCounters {
  double cpu_user = 0;
  double cpu_system = 0;
  std::int64_t rss_bytes = 0;
  std::int64_t minor_faults = 0;
  std::int64_t major_faults = 0;
  std::int64_t voluntary_switches = 0;
  std::int64_t involuntary_switches = 0;
  std::int64_t read_bytes = -1;  // -1 when /proc/PID/io cannot be read
  std::int64_t write_bytes = -1;
};

// Counters of the process whose /proc directory is `proc_dir` ("/proc/self",
// "/proc/1234").  Fails only when its stat file cannot be read or parsed.
Result<ProcessCounters> read_process_counters(const std::string& proc_dir);

struct NodeProbeConfig {
  std::string root = "/";          // where proc/ and sys/ are read for node counters
  std::string memory_cgroup;       // the node's cgroup under sys/fs/cgroup/memory; "" none
  std::string local_dir = "/tmp";  // node-local directory whose file system is reported
};

// The settings a node gives its processes in their environment (FTMPI_SYSROOT,
// FTMPI_NODE_CGROUP, FTMPI_NODE_DIR: util/job_env.hpp), else the defaults above.
NodeProbeConfig node_probe_config_from_environment();

class NodeProbe {
 public:
  explicit NodeProbe(NodeProbeConfig config);
  // A sample of the node now (time, node and reporter are left to the caller).
  // cpu_busy and cpu_iowait cover the time since the previous call (-1 on the first).
  NodeSample sample();

 private:
  NodeProbeConfig m_config;
  std::uint64_t m_prev_total = 0;
  std::uint64_t m_prev_idle = 0;
  std::uint64_t m_prev_iowait = 0;
};

}  // namespace ftmpi
