// A node's memory as its cgroup (v1 memory controller) sees it, and the part of it that
// counts towards running out.
//
// memory.usage_in_bytes includes the page cache of the files the cgroup's processes
// read and wrote.  The kernel reclaims that cache, its inactive part first, before the
// cgroup's OOM killer runs, so a node that writes a trace or a checkpoint fills its
// usage towards the limit without coming any closer to an OOM.  What does count is the
// working set: the usage less the inactive file cache (memory.stat total_inactive_file),
// the measure Kubernetes' kubelet evicts on.  Shared memory and tmpfs pages are not
// file cache in this sense (they sit on the anonymous lists) and stay counted.
#pragma once

#include <cstdint>
#include <string>

namespace ftmpi {

// The working set of a cgroup whose usage and inactive file cache are given (-1: not
// known, then nothing is taken off); -1 when the usage is not known.
[[nodiscard]] inline std::int64_t memory_working_set(std::int64_t usage,
                                                     std::int64_t inactive_file) noexcept {
  if (usage < 0) {
    return -1;
  }
  if (inactive_file <= 0) {
    return usage;
  }
  return usage > inactive_file ? usage - inactive_file : 0;
}

struct CgroupMemory {
  std::int64_t usage = -1;          // memory.usage_in_bytes
  std::int64_t limit = -1;          // memory.limit_in_bytes; -1: unlimited
  std::int64_t inactive_file = -1;  // memory.stat total_inactive_file
  [[nodiscard]] std::int64_t working_set() const noexcept {
    return memory_working_set(usage, inactive_file);
  }
};

// The memory cgroup whose directory is `dir` (/sys/fs/cgroup/memory/...); what cannot
// be read is -1.  Never throws.
[[nodiscard]] CgroupMemory read_cgroup_memory(const std::string& dir) noexcept;

}  // namespace ftmpi
