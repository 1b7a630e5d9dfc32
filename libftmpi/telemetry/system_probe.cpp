#include "telemetry/system_probe.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "util/cgroup_memory.hpp"
#include "util/env.hpp"
#include "util/files.hpp"
#include "util/job_env.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

// A counter that cannot be negative; -1 when absent.
std::int64_t read_int(const fs::path& path) {
  return read_number(path).value_or(-1);
}

// avg10 of the "some" or "full" line of a /proc/pressure file; -1 if absent.
double pressure_avg10(const fs::path& path, std::string_view which) {
  std::string text;
  if (!read_text(path, text)) {
    return -1;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(which, 0) == 0) {
      const auto at = line.find("avg10=");
      if (at != std::string::npos) {
        return std::stod(line.substr(at + 6));
      }
    }
  }
  return -1;
}

std::vector<fs::path> children(const fs::path& dir, std::string_view prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : ftmpi::directory_entries(dir, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) {
      out.push_back(entry.path());
    }
  }
  return out;
}

// Sum of `file` under each matching child; -1 if none exists.
std::int64_t sum_over(const std::vector<fs::path>& dirs, const std::string& file) {
  std::int64_t sum = -1;
  for (const auto& dir : dirs) {
    const std::int64_t v = read_int(dir / file);
    if (v >= 0) {
      sum = (sum < 0 ? 0 : sum) + v;
    }
  }
  return sum;
}

}  // namespace

Result<ProcessCounters> read_process_counters(const std::string& proc_dir) {
  const fs::path dir(proc_dir);
  std::string stat;
  if (!read_text(dir / "stat", stat)) {
    return not_found(fmt::format("cannot read {}/stat", proc_dir));
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return corrupt(fmt::format("{}/stat has no command field", proc_dir));
  }
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string word; fields >> word;) {
    f.push_back(word);
  }
  // f[0] is field 3 (state); field N is f[N - 3].
  if (f.size() < 22) {
    return corrupt(fmt::format("{}/stat is too short", proc_dir));
  }
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const std::int64_t page = ::sysconf(_SC_PAGESIZE);
  ProcessCounters c;
  c.minor_faults = std::stoll(f[10 - 3]);
  c.major_faults = std::stoll(f[12 - 3]);
  c.cpu_user = static_cast<double>(std::stoull(f[14 - 3])) / ticks;
  c.cpu_system = static_cast<double>(std::stoull(f[15 - 3])) / ticks;
  c.rss_bytes = std::stoll(f[24 - 3]) * page;
  std::string status;
  if (read_text(dir / "status", status)) {
    c.voluntary_switches = keyed_value(status, "voluntary_ctxt_switches:");
    c.involuntary_switches = keyed_value(status, "nonvoluntary_ctxt_switches:");
  }
  std::string io;
  if (read_text(dir / "io", io)) {
    c.read_bytes = keyed_value(io, "read_bytes:");
    c.write_bytes = keyed_value(io, "write_bytes:");
  }
  return c;
}

NodeProbeConfig node_probe_config_from_environment() {
  NodeProbeConfig config;
  config.root = env_or(k_env_sysroot, "/");
  config.memory_cgroup = env_or(k_env_node_cgroup, "");
  config.local_dir = env_or(k_env_node_dir, "/tmp");
  return config;
}

NodeProbe::NodeProbe(NodeProbeConfig config) : m_config(std::move(config)) {}

NodeSample NodeProbe::sample() {
  NodeSample s;
  const fs::path root(m_config.root);
  std::string text;
  if (read_text(root / "proc/meminfo", text)) {
    const std::int64_t kib = 1024;
    s.mem_total = keyed_value(text, "MemTotal:") * kib;
    s.mem_available = keyed_value(text, "MemAvailable:") * kib;
    const std::int64_t swap_total = keyed_value(text, "SwapTotal:");
    const std::int64_t swap_free = keyed_value(text, "SwapFree:");
    s.swap_used = swap_total >= 0 && swap_free >= 0 ? (swap_total - swap_free) * kib : -1;
  }
  if (read_text(root / "proc/loadavg", text)) {
    s.load1 = std::stod(text);
  }
  if (read_text(root / "proc/stat", text) && text.rfind("cpu ", 0) == 0) {
    std::istringstream fields(text.substr(4));
    std::uint64_t v[8] = {};
    for (auto& x : v) {
      fields >> x;
    }
    const std::uint64_t total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    const std::uint64_t idle = v[3];
    const std::uint64_t iowait = v[4];
    if (m_prev_total != 0 && total > m_prev_total) {
      const auto dt = static_cast<double>(total - m_prev_total);
      s.cpu_iowait = static_cast<double>(iowait - m_prev_iowait) / dt;
      s.cpu_busy = 1.0 - static_cast<double>((idle - m_prev_idle) + (iowait - m_prev_iowait)) / dt;
    }
    m_prev_total = total;
    m_prev_idle = idle;
    m_prev_iowait = iowait;
  }
  s.psi_cpu_some = pressure_avg10(root / "proc/pressure/cpu", "some");
  s.psi_memory_some = pressure_avg10(root / "proc/pressure/memory", "some");
  s.psi_memory_full = pressure_avg10(root / "proc/pressure/memory", "full");
  s.psi_io_some = pressure_avg10(root / "proc/pressure/io", "some");
  s.psi_io_full = pressure_avg10(root / "proc/pressure/io", "full");
  if (!m_config.memory_cgroup.empty()) {
    const CgroupMemory cg =
        read_cgroup_memory((root / "sys/fs/cgroup/memory" / m_config.memory_cgroup).string());
    s.cgroup_memory_usage = cg.usage;
    s.cgroup_memory_limit = cg.limit;
    s.cgroup_memory_inactive_file = cg.inactive_file;
  }
  const auto controllers = children(root / "sys/devices/system/edac/mc", "mc");
  s.edac_corrected = sum_over(controllers, "ce_count");
  s.edac_uncorrected = sum_over(controllers, "ue_count");
  std::vector<fs::path> nics;
  for (const auto& nic : children(root / "sys/class/net", "")) {
    if (nic.filename() != "lo") {
      nics.push_back(nic / "statistics");
    }
  }
  const std::int64_t rx_err = sum_over(nics, "rx_errors");
  const std::int64_t tx_err = sum_over(nics, "tx_errors");
  const std::int64_t rx_drop = sum_over(nics, "rx_dropped");
  const std::int64_t tx_drop = sum_over(nics, "tx_dropped");
  s.net_errors = rx_err < 0 && tx_err < 0
                     ? -1
                     : std::max<std::int64_t>(rx_err, 0) + std::max<std::int64_t>(tx_err, 0);
  s.net_drops = rx_drop < 0 && tx_drop < 0
                    ? -1
                    : std::max<std::int64_t>(rx_drop, 0) + std::max<std::int64_t>(tx_drop, 0);
  struct statvfs fsinfo {};
  if (::statvfs(m_config.local_dir.c_str(), &fsinfo) == 0) {
    s.disk_total = static_cast<std::int64_t>(fsinfo.f_blocks * fsinfo.f_frsize);
    s.disk_free = static_cast<std::int64_t>(fsinfo.f_bavail * fsinfo.f_frsize);
  }
  double hottest = -1;
  for (const auto& zone : children(root / "sys/class/thermal", "thermal_zone")) {
    if (const auto milli = read_number(zone / "temp")) {
      hottest = std::max(hottest, static_cast<double>(*milli) / 1000.0);
    }
  }
  s.temperature_max = hottest;
  return s;
}

}  // namespace ftmpi
