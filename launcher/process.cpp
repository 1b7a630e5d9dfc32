#include "process.hpp"

#include <pthread.h>
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
std::atomic<int> g_forwarded{0};

constexpr std::array k_forwarded_signals{SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

extern "C" void forward_signal(int signo) {
  g_forwarded.store(signo);
  const pid_t child = g_child.load();
  if (child > 0) {
    ::kill(child, signo);
  }
}

}  // namespace

int forwarded_signal() noexcept {
  return g_forwarded.load();
}

void record_forwarded_signals() noexcept {
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (const int signo : k_forwarded_signals) {
    ::sigaction(signo, &action, nullptr);
  }
}

namespace {

// environ with `set_env` applied.
std::vector<std::string> environment_with(const std::vector<std::string>& set_env) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& s : set_env) {
      replaced = replaced || s.substr(0, s.find('=')) == name;
    }
    if (!replaced) {
      env.push_back(entry);
    }
  }
  env.insert(env.end(), set_env.begin(), set_env.end());
  return env;
}

}  // namespace

Result<int> run_foreground(const std::vector<std::string>& argv,
                           const std::vector<std::string>& set_env) {
  if (argv.empty()) {
    return invalid_argument("run_foreground: empty argv");
  }
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    c_argv.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: posix_spawn takes char*
  }
  c_argv.push_back(nullptr);
  const std::vector<std::string> env = environment_with(set_env);
  std::vector<char*> c_env;
  c_env.reserve(env.size() + 1);
  for (const auto& entry : env) {
    c_env.push_back(const_cast<char*>(entry.c_str()));  // NOLINT: posix_spawn takes char*
  }
  c_env.push_back(nullptr);

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

  // Block the forwarded signals until the child's pid is known, so that one arriving
  // in between is delivered (to the child) instead of lost; the child starts with the
  // caller's original mask.
  sigset_t forwarded;
  sigset_t original;
  sigemptyset(&forwarded);
  for (const int signo : k_forwarded_signals) {
    sigaddset(&forwarded, signo);
  }
  ::pthread_sigmask(SIG_BLOCK, &forwarded, &original);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &original);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, c_argv[0], nullptr, &attr, c_argv.data(), c_env.data());
  posix_spawnattr_destroy(&attr);
  if (rc == 0) {
    g_child.store(pid);
  }
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);
  if (rc != 0) {
    return errno_status(fmt::format("cannot start '{}'", argv[0]), rc);
  }

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
