#include "process.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>

#include <fmt/format.h>

#include "util/scope_guard.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace ftmpi {
namespace {

std::atomic<pid_t> g_child{0};

constexpr std::array k_forwarded_signals{SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

extern "C" void forward_signal(int signo) {
  const pid_t child = g_child.load();
  if (child > 0) {
    ::kill(child, signo);
  }
}

}  // namespace

Result<int> run_foreground(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return invalid_argument("run_foreground: empty argv");
  }
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    c_argv.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: posix_spawn takes char*
  }
  c_argv.push_back(nullptr);

  // Install the forwarding handlers before the child exists, so no signal is lost
  // between spawn and wait; restore the old ones on every return path.
  std::array<struct sigaction, k_forwarded_signals.size()> previous{};
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (std::size_t i = 0; i < k_forwarded_signals.size(); ++i) {
    ::sigaction(k_forwarded_signals[i], &action, &previous[i]);
  }
  ScopeGuard restore([&previous] {
    g_child.store(0);
    for (std::size_t i = 0; i < k_forwarded_signals.size(); ++i) {
      ::sigaction(k_forwarded_signals[i], &previous[i], nullptr);
    }
  });

  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, c_argv[0], nullptr, nullptr, c_argv.data(), environ);
  if (rc != 0) {
    return errno_status(fmt::format("cannot start '{}'", argv[0]), rc);
  }
  g_child.store(pid);

  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      return errno_status(fmt::format("waiting for '{}'", argv[0]), errno);
    }
  }
  if (WIFEXITED(wstatus)) {
    return WEXITSTATUS(wstatus);
  }
  if (WIFSIGNALED(wstatus)) {
    return 128 + WTERMSIG(wstatus);
  }
  return internal_error(fmt::format("'{}' ended with wait status {:#x}", argv[0], wstatus));
}

}  // namespace ftmpi
