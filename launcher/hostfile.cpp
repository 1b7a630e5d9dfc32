#include "hostfile.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "util/files.hpp"

namespace ftmpi {
namespace {

// Adds one to the number after `key` in `line`; false if the value is not a number.
bool bump(std::string& line, std::string_view key) {
  const auto at = line.find(key);
  if (at == std::string::npos) {
    return true;
  }
  const std::size_t begin = at + key.size();
  std::size_t end = begin;
  while (end < line.size() && line[end] >= '0' && line[end] <= '9') {
    ++end;
  }
  long value = 0;
  const auto [ptr, ec] = std::from_chars(line.data() + begin, line.data() + end, value);
  if (ec != std::errc() || ptr == line.data() + begin) {
    return false;
  }
  line.replace(begin, end - begin, std::to_string(value + 1));
  return true;
}

}  // namespace

Result<std::string> sequential_hostfile(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end;
    std::string line(text.substr(start, end - start));
    start = end + 1;
    line = line.substr(0, line.find('#'));
    std::size_t slots = 1;
    if (const auto at = line.find("slots=");
        at != std::string::npos && (at == 0 || line[at - 1] == ' ' || line[at - 1] == '\t')) {
      const char* first = line.data() + at + 6;
      const auto [ptr, ec] = std::from_chars(first, line.data() + line.size(), slots);
      if (ec != std::errc() || slots == 0) {
        return invalid_argument(
            fmt::format("cannot read the slot count in hostfile line '{}'", line));
      }
    }
    const auto host_start = line.find_first_not_of(" \t");
    if (host_start == std::string::npos) {
      continue;
    }
    const std::string host =
        line.substr(host_start, line.find_first_of(" \t", host_start) - host_start);
    for (std::size_t i = 0; i < slots; ++i) {
      out += host + "\n";
    }
  }
  if (out.empty()) {
    return invalid_argument("the hostfile names no host");
  }
  return out;
}

Result<std::string> hostfile_with_hidden_slot(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    lines.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  std::size_t last_host = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#') {
      last_host = i;
    }
  }
  if (last_host == lines.size()) {
    return invalid_argument("the hostfile names no host");
  }
  std::string& line = lines[last_host];
  // A trailing comment stays a comment: only the part before '#' changes.
  const auto comment = line.find('#');
  std::string head = line.substr(0, comment);
  if (!bump(head, "max_slots=") || !bump(head, " slots=") || !bump(head, "\tslots=")) {
    return invalid_argument(fmt::format("cannot read the slot count in hostfile line '{}'", line));
  }
  line = head + (comment == std::string::npos ? "" : line.substr(comment));
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size()) {
      out += '\n';
    }
  }
  return out;
}

int count_cores(const std::vector<int>& cpus, const std::string& cpu_dir) {
  std::set<std::pair<std::int64_t, std::int64_t>> cores;
  int unknown = 0;
  for (const int cpu : cpus) {
    const std::string topology = fmt::format("{}/cpu{}/topology/", cpu_dir, cpu);
    const auto package = read_number(topology + "physical_package_id");
    const auto core = read_number(topology + "core_id");
    if (package && core) {
      cores.emplace(*package, *core);
    } else {
      ++unknown;
    }
  }
  return static_cast<int>(cores.size()) + unknown;
}

int local_slots(bool hardware_threads) {
  const int online = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    return online;  // more CPUs than a cpu_set_t holds: count them all
  }
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) {  // NOLINT(hicpp-signed-bitwise)
      cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) {
    return online;
  }
  return hardware_threads ? static_cast<int>(cpus.size())
                          : count_cores(cpus, "/sys/devices/system/cpu");
}

}  // namespace ftmpi
