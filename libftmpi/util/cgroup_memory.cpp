#include "util/cgroup_memory.hpp"

#include <filesystem>
#include <optional>

#include "util/files.hpp"

namespace ftmpi {
namespace {

// A counter that cannot be negative; -1 when absent.
std::int64_t counter(std::optional<std::int64_t> value) {
  return value && *value >= 0 ? *value : -1;
}

}  // namespace

CgroupMemory read_cgroup_memory(const std::string& dir) noexcept {
  CgroupMemory m;
  try {
    const std::filesystem::path cgroup(dir);
    m.usage = counter(read_number(cgroup / "memory.usage_in_bytes"));
    const std::int64_t limit = counter(read_number(cgroup / "memory.limit_in_bytes"));
    m.limit = limit >= (std::int64_t{1} << 62) ? -1 : limit;  // "unlimited" is about 2^63
    if (std::string stat; read_text(cgroup / "memory.stat", stat)) {
      m.inactive_file = counter(keyed_value(stat, "total_inactive_file "));
    }
  } catch (...) {  // std::bad_alloc of a path: nothing read
    m = CgroupMemory{};
  }
  return m;
}

}  // namespace ftmpi
