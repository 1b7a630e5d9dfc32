#include "process.hpp"

#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "util/scope_guard.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace ftmpi {
namespace {

std::atomic<pid_t> g_child{0};
// Background children (start_background) not reaped yet.
constexpr std::size_t k_max_background = 4;
std::array<std::atomic<pid_t>, k_max_background> g_background{};
std::atomic<int> g_forwarded{0};

constexpr std::array k_forwarded_signals{SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

extern "C" void forward_signal(int signo) {
  g_forwarded.store(signo);
  const pid_t child = g_child.load();
  if (child > 0) {
    ::kill(child, signo);
  }
  for (const auto& slot : g_background) {
    const pid_t pid = slot.load();
    if (pid > 0) {
      ::kill(pid, signo);
    }
  }
}

void forget_background(pid_t pid) {
  for (auto& slot : g_background) {
    pid_t expected = pid;
    slot.compare_exchange_strong(expected, 0);
  }
}

int exit_code_of(int wstatus) {
  if (WIFEXITED(wstatus)) {
    return WEXITSTATUS(wstatus);
  }
  return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 255;
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

namespace {

// Spawns argv with the forwarded signals blocked until `on_started` has the pid (so
// that one arriving in between is forwarded, not lost); the child starts with the
// caller's original mask.
Result<pid_t> spawn_child(const std::vector<std::string>& argv,
                          const std::vector<std::string>& set_env,
                          const std::function<void(pid_t)>& on_started) {
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
    on_started(pid);
  }
  ::pthread_sigmask(SIG_SETMASK, &original, nullptr);
  if (rc != 0) {
    return errno_status(fmt::format("cannot start '{}'", argv[0]), rc);
  }
  return pid;
}

}  // namespace

Result<int> run_foreground(const std::vector<std::string>& argv,
                           const std::vector<std::string>& set_env) {
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
  auto pid = spawn_child(argv, set_env, [](pid_t started) { g_child.store(started); });
  if (!pid.ok()) {
    return pid.status();
  }
  int wstatus = 0;
  while (::waitpid(pid.value(), &wstatus, 0) < 0) {
    if (errno != EINTR) {
      return errno_status(fmt::format("waiting for '{}'", argv[0]), errno);
    }
  }
  return exit_code_of(wstatus);
}

Result<pid_t> start_background(const std::vector<std::string>& argv,
                               const std::vector<std::string>& set_env) {
  bool placed = false;
  auto pid = spawn_child(argv, set_env, [&placed](pid_t started) {
    for (auto& slot : g_background) {
      pid_t expected = 0;
      if (slot.compare_exchange_strong(expected, started)) {
        placed = true;
        return;
      }
    }
  });
  if (pid.ok() && !placed) {
    ::kill(pid.value(), SIGKILL);
    ::waitpid(pid.value(), nullptr, 0);
    return internal_error("too many background children");
  }
  return pid;
}

std::optional<int> poll_background(pid_t pid) {
  int wstatus = 0;
  const pid_t got = ::waitpid(pid, &wstatus, WNOHANG);
  if (got == 0 || (got < 0 && errno == EINTR)) {
    return std::nullopt;
  }
  forget_background(pid);
  return got == pid ? exit_code_of(wstatus) : 255;
}

int wait_background(pid_t pid) {
  int wstatus = 0;
  pid_t got = 0;
  while ((got = ::waitpid(pid, &wstatus, 0)) < 0 && errno == EINTR) {}
  forget_background(pid);
  return got == pid ? exit_code_of(wstatus) : 255;
}

void stop_background(pid_t pid, double grace_seconds) {
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(grace_seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll_background(pid)) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  (void)wait_background(pid);
}

}  // namespace ftmpi
