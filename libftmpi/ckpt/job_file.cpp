#include "ckpt/job_file.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>

#include "ckpt/manifest.hpp"
#include "util/files.hpp"

namespace ftmpi {

namespace fs = std::filesystem;

namespace {

template <class T>
bool negative(const T& value) {
  if constexpr (std::is_arithmetic_v<T>) {
    return value < 0;
  } else {
    return false;
  }
}

// A damaged line as it can be shown on a terminal: other bytes as '?'.
std::string printable(std::string text) {
  for (char& c : text) {
    if (c < ' ' || c > '~') {
      c = '?';
    }
  }
  return text;
}

}  // namespace

Status write_job_info(const std::string& dir, const JobInfo& info) {
  std::ostringstream out;
  out << "launcher_pid " << info.launcher_pid << "\nranks " << info.ranks << "\nstate "
      << info.state << "\n";
  if (info.exit_code >= 0) {
    out << "exit_code " << info.exit_code << "\n";
  }
  if (!info.cluster.empty()) {
    out << "cluster " << info.cluster << "\n";
  }
  if (info.pool) {
    out << "pool hostfile\n";
  }
  if (!info.rank_nodes.empty()) {
    out << "rank_nodes";
    for (const std::string& node : info.rank_nodes) {
      out << ' ' << (node.empty() ? "-" : node);
    }
    out << "\n";
  }
  out << "rollbacks " << info.rollbacks << "\n";
  out << "migrations " << info.migrations << "\n";
  for (const std::string& e : info.events) {
    out << "event " << e << "\n";
  }
  return write_file_atomically((fs::path(dir) / k_job_file).string(), out.str());
}

Result<JobInfo> read_job_info(const std::string& dir) {
  if (const fs::path file = fs::path(dir) / k_job_file; exists_but_not_regular(file.string())) {
    return corrupt(fmt::format("{} is not a regular file", file.string()));
  }
  std::ifstream in(fs::path(dir) / k_job_file);
  if (!in) {
    return not_found(
        fmt::format("{} has no {}: no job was started with it as --ckpt-dir", dir, k_job_file));
  }
  // Known keys must hold what they say (ftmpi-ctl acts on the launcher's pid); unknown
  // keys, and states, are left for newer versions; older launchers wrote no state.
  JobInfo info;
  std::string line;
  int number = 0;
  bool has_pid = false;
  bool has_ranks = false;
  std::string damage;
  // One value, all of the rest of the line; numbers not negative.
  auto take = [&](std::istringstream& words, auto& value) {
    if (!(words >> value) || !(words >> std::ws).eof() || negative(value)) {
      damage = fmt::format("line {}: \"{}\"", number, printable(line.substr(0, 60)));
    }
  };
  while (std::getline(in, line) && damage.empty()) {
    ++number;
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "launcher_pid") {
      take(words, info.launcher_pid);
      has_pid = info.launcher_pid > 0;
    } else if (key == "ranks") {
      take(words, info.ranks);
      has_ranks = info.ranks > 0;
    } else if (key == "state") {
      take(words, info.state);
    } else if (key == "exit_code") {
      take(words, info.exit_code);
    } else if (key == "cluster") {
      take(words, info.cluster);
    } else if (key == "rank_nodes") {
      std::string node;
      while (words >> node) {
        info.rank_nodes.push_back(node == "-" ? "" : node);
      }
    } else if (key == "rollbacks") {
      take(words, info.rollbacks);
    } else if (key == "pool") {
      info.pool = true;
    } else if (key == "migrations") {
      take(words, info.migrations);
    } else if (key == "event") {
      info.events.push_back(line.size() > 6 ? line.substr(6) : "");
    }
  }
  if (damage.empty() && !(has_pid && has_ranks)) {
    damage = !has_pid ? "no launcher_pid" : "no count of ranks";
  }
  if (!damage.empty()) {
    return corrupt(fmt::format("{} is damaged ({}): it is not a job file this ftmpi wrote",
                               (fs::path(dir) / k_job_file).string(), damage));
  }
  return info;
}

}  // namespace ftmpi
