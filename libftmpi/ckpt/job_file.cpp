#include "ckpt/job_file.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "ckpt/manifest.hpp"
#include "util/files.hpp"

namespace ftmpi {

namespace fs = std::filesystem;

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
  JobInfo info;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "launcher_pid") {
      words >> info.launcher_pid;
    } else if (key == "ranks") {
      words >> info.ranks;
    } else if (key == "state") {
      words >> info.state;
    } else if (key == "exit_code") {
      words >> info.exit_code;
    } else if (key == "cluster") {
      words >> info.cluster;
    } else if (key == "rank_nodes") {
      std::string node;
      while (words >> node) {
        info.rank_nodes.push_back(node == "-" ? "" : node);
      }
    } else if (key == "rollbacks") {
      words >> info.rollbacks;
    } else if (key == "pool") {
      info.pool = true;
    } else if (key == "migrations") {
      words >> info.migrations;
    } else if (key == "event") {
      info.events.push_back(line.size() > 6 ? line.substr(6) : "");
    }
  }
  return info;
}

}  // namespace ftmpi
