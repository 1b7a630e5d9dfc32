#include "util/cgroup_memory.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace ftmpi {
namespace {

// The first line of a small file, "" when it cannot be read.
std::string first_line(const std::string& path) {
  std::string line;
  if (std::FILE* f = std::fopen(path.c_str(), "re"); f != nullptr) {
    char buffer[256];
    if (std::fgets(buffer, sizeof buffer, f) != nullptr) {
      line = buffer;
    }
    std::fclose(f);
  }
  return line;
}

std::int64_t number_or_missing(const std::string& text) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  return end != text.c_str() && value >= 0 ? static_cast<std::int64_t>(value) : -1;
}

// The value of `key` in memory.stat ("total_inactive_file 12345").
std::int64_t stat_value(const std::string& path, std::string_view key) {
  std::int64_t value = -1;
  if (std::FILE* f = std::fopen(path.c_str(), "re"); f != nullptr) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      const std::string_view text(line);
      if (text.size() > key.size() && text.substr(0, key.size()) == key &&
          text[key.size()] == ' ') {
        value = number_or_missing(std::string(text.substr(key.size() + 1)));
        break;
      }
    }
    std::fclose(f);
  }
  return value;
}

}  // namespace

CgroupMemory read_cgroup_memory(const std::string& dir) noexcept {
  CgroupMemory m;
  try {
    m.usage = number_or_missing(first_line(dir + "/memory.usage_in_bytes"));
    const std::int64_t limit = number_or_missing(first_line(dir + "/memory.limit_in_bytes"));
    m.limit = limit >= (std::int64_t{1} << 62) ? -1 : limit;  // "unlimited" is about 2^63
    m.inactive_file = stat_value(dir + "/memory.stat", "total_inactive_file");
  } catch (...) {  // std::bad_alloc of a path: nothing read
    m = CgroupMemory{};
  }
  return m;
}

}  // namespace ftmpi
