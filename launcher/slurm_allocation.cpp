#include "slurm_allocation.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

#include <fmt/format.h>

namespace ftmpi {
namespace {

// Splits at the commas that are not inside brackets.
std::vector<std::string> split_top_level(const std::string& list) {
  std::vector<std::string> parts;
  std::string part;
  int depth = 0;
  for (const char c : list) {
    if (c == ',' && depth == 0) {
      parts.push_back(part);
      part.clear();
      continue;
    }
    depth += c == '[' ? 1 : c == ']' ? -1 : 0;
    part += c;
  }
  parts.push_back(part);
  return parts;
}

Status expand_one(const std::string& name, std::vector<std::string>& out) {
  const auto open = name.find('[');
  if (open == std::string::npos) {
    if (name.empty() || name.find(']') != std::string::npos) {
      return invalid_argument(fmt::format("'{}' is no node name", name));
    }
    out.push_back(name);
    return {};
  }
  const auto close = name.find(']', open);
  if (close == std::string::npos) {
    return invalid_argument(fmt::format("'{}': a '[' without its ']'", name));
  }
  const std::string prefix = name.substr(0, open);
  const std::string suffix = name.substr(close + 1);
  const std::string inside = name.substr(open + 1, close - open - 1);
  static const std::regex range(R"((\d+)(?:-(\d+))?)");
  for (const std::string& item : split_top_level(inside)) {
    std::smatch m;
    if (!std::regex_match(item, m, range)) {
      return invalid_argument(fmt::format("'{}': '{}' is no number or range", name, item));
    }
    const long from = std::stol(m[1]);
    const long to = m[2].matched ? std::stol(m[2]) : from;
    if (to < from || to - from > 100000) {
      return invalid_argument(
          fmt::format("'{}': the range '{}' is backwards or too long", name, item));
    }
    const std::size_t width = m[1].length();
    for (long i = from; i <= to; ++i) {
      // The rest of the name may hold more brackets.
      FTMPI_RETURN_IF_ERROR(expand_one(fmt::format("{}{:0{}}{}", prefix, i, width, suffix), out));
    }
  }
  return {};
}

// Runs a Slurm command quietly; its exit status (127: it cannot be run).
int run_quietly(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execvp's signature
  }
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return 127;
  }
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace

Status check_slurm_knows(const SlurmAllocation& allocation, const std::string& nodelist) {
  const int job = run_quietly({"scontrol", "show", "job", "--oneliner", allocation.job_id});
  if (job == 127) {
    return unsupported(fmt::format(
        "SLURM_JOB_ID is {} but scontrol cannot be run: install Slurm's client commands, or "
        "unset SLURM_JOB_ID to run outside Slurm",
        allocation.job_id));
  }
  if (job != 0) {
    return invalid_argument(fmt::format(
        "Slurm knows no job {} (SLURM_JOB_ID): run ftmpi-launch in the batch script or salloc "
        "shell of a running allocation",
        allocation.job_id));
  }
  if (run_quietly({"scontrol", "show", "node", "--oneliner", nodelist}) != 0) {
    return invalid_argument(fmt::format(
        "Slurm knows no node list {} (SLURM_JOB_NODELIST): run ftmpi-launch in the batch "
        "script or salloc shell of the allocation",
        nodelist));
  }
  return {};
}

Result<std::vector<std::string>> expand_slurm_nodelist(const std::string& list) {
  std::vector<std::string> nodes;
  for (const std::string& part : split_top_level(list)) {
    FTMPI_RETURN_IF_ERROR(expand_one(part, nodes));
  }
  return nodes;
}

Result<std::vector<int>> expand_slurm_counts(const std::string& counts) {
  static const std::regex item(R"((\d+)(?:\(x(\d+)\))?)");
  std::vector<int> out;
  for (const std::string& part : split_top_level(counts)) {
    std::smatch m;
    if (!std::regex_match(part, m, item)) {
      return invalid_argument(fmt::format("'{}' is no Slurm count list", counts));
    }
    const int repeat = m[2].matched ? std::stoi(m[2]) : 1;
    out.insert(out.end(), static_cast<std::size_t>(repeat), std::stoi(m[1]));
  }
  return out;
}

Result<std::optional<SlurmAllocation>> slurm_allocation_from_environment() {
  // NOLINTBEGIN(concurrency-mt-unsafe): read once, by one thread
  const char* id = std::getenv("SLURM_JOB_ID");
  const char* list = std::getenv("SLURM_JOB_NODELIST");
  const char* cpus = std::getenv("SLURM_JOB_CPUS_PER_NODE");
  // NOLINTEND(concurrency-mt-unsafe)
  if (id == nullptr || *id == '\0') {
    return std::optional<SlurmAllocation>();
  }
  if (list == nullptr || *list == '\0') {
    return invalid_argument(fmt::format(
        "SLURM_JOB_ID is {} but SLURM_JOB_NODELIST is not set: run ftmpi-launch in the batch "
        "script or salloc shell of the allocation",
        id));
  }
  SlurmAllocation a;
  a.job_id = id;
  auto nodes = expand_slurm_nodelist(list);
  if (!nodes.ok()) {
    return invalid_argument("SLURM_JOB_NODELIST: " + nodes.status().message());
  }
  a.nodes = std::move(nodes).value();
  if (cpus != nullptr && *cpus != '\0') {
    auto counts = expand_slurm_counts(cpus);
    if (!counts.ok()) {
      return invalid_argument("SLURM_JOB_CPUS_PER_NODE: " + counts.status().message());
    }
    a.cpus = std::move(counts).value();
  }
  a.cpus.resize(a.nodes.size(), a.cpus.empty() ? 1 : a.cpus.back());
  return std::optional<SlurmAllocation>(std::move(a));
}

std::string slurm_hostfile_text(const SlurmAllocation& allocation) {
  std::string text;
  for (std::size_t i = 0; i < allocation.nodes.size(); ++i) {
    text += fmt::format("{} slots={}\n", allocation.nodes[i], allocation.cpus[i]);
  }
  return text;
}

}  // namespace ftmpi
