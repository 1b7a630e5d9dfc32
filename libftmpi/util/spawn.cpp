#include "util/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

namespace ftmpi {
namespace {

// In the child, after fork: stdio, environment, exec.  Never returns.
[[noreturn]] void become(const std::vector<std::string>& argv, const SpawnOptions& options) {
  ::setsid();
  if (!options.output.empty()) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(options.output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
  } else {
    for (int fd = 0; fd < 3; ++fd) {
      if (options.stdio[fd] >= 0) {
        ::dup2(options.stdio[fd], fd);
      }
    }
  }
  ::close_range(3, ~0U, 0);
  for (const std::string& entry : options.environment) {
    const auto eq = entry.find('=');
    if (eq != std::string::npos) {
      ::setenv(entry.substr(0, eq).c_str(), entry.c_str() + eq + 1, 1);  // NOLINT: one thread
    }
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execvp takes char*
  }
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

}  // namespace

Result<Spawned> spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) {
    return invalid_argument("spawn_process: empty argv");
  }
  // The namespace's init is orphaned by its short-lived parent; as a subreaper, this
  // process inherits it and can wait for it (and for the trees CRIU restores detached).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // The helper reports the namespace init's PID (as seen here), or -errno, on a pipe.
  int report[2] = {-1, -1};
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return errno_status("pipe", errno);
  }
  const pid_t helper = ::fork();
  if (helper < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return errno_status("fork", err);
  }
  if (helper == 0) {
    ::close(report[0]);
    if (::unshare(CLONE_NEWPID) != 0) {
      const int err = -errno;
      (void)!::write(report[1], &err, sizeof err);
      ::_exit(1);
    }
    const pid_t init = ::fork();  // PID 1 of the new namespace
    if (init == 0) {
      ::close(report[1]);
      become(argv, options);
    }
    const int value = init > 0 ? init : -errno;
    (void)!::write(report[1], &value, sizeof value);
    ::_exit(0);  // the init is re-parented to this process (the subreaper)
  }
  ::close(report[1]);
  int value = 0;
  const bool got = ::read(report[0], &value, sizeof value) == static_cast<ssize_t>(sizeof value);
  ::close(report[0]);
  int status = 0;
  ::waitpid(helper, &status, 0);
  if (got && value > 0) {
    return Spawned{static_cast<pid_t>(value), true};
  }
  const int err = got ? -value : EIO;
  if (!options.allow_without_namespace || (err != EPERM && err != EINVAL)) {
    return errno_status("cannot start a process in a new PID namespace (needs CAP_SYS_ADMIN)", err);
  }
  const pid_t child = ::fork();
  if (child < 0) {
    return errno_status("fork", errno);
  }
  if (child == 0) {
    become(argv, options);
  }
  return Spawned{child, false};
}

std::vector<std::string> process_environment(pid_t pid) {
  std::vector<std::string> variables;
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::string variable;
  while (std::getline(in, variable, '\0')) {
    variables.push_back(variable);
  }
  return variables;
}

}  // namespace ftmpi
