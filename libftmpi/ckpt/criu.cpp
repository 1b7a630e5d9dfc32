#include "ckpt/criu.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "util/env.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/spawn.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

struct Output {
  int exit_code = -1;
  std::string text;
  bool timed_out = false;  // killed after the time given
};

// Runs argv with stdin from /dev/null, capturing stdout and stderr together; `keep`
// gives the child descriptors: each source is dup2'ed to its target number (which
// survives the exec).  A child still running after `timeout` seconds (> 0) is killed.
Result<Output> capture(const std::vector<std::string>& argv,
                       const std::vector<std::pair<int, int>>& keep = {}, double timeout = 0) {
  int pipe_fds[2] = {-1, -1};
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return errno_status("pipe", errno);
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return errno_status("fork", err);
  }
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    for (const auto& [from, to] : keep) {
      ::dup2(from, to);  // dup2 clears close-on-exec on `to`
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv takes char*
    }
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  Output out;
  char buffer[4096];
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout > 0 ? timeout : 0);
  for (;;) {
    if (timeout > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      pollfd p{pipe_fds[0], POLLIN, 0};
      const int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
      if (ready < 0 && errno == EINTR) {
        continue;
      }
      if (ready == 0) {  // its time is up (what it started keeps the pipe: stop reading)
        ::kill(pid, SIGKILL);
        out.timed_out = true;
        break;
      }
    }
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out.text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

bool passes_check(const std::string& criu, std::string& why) {
  auto check = capture({criu, "check"});
  if (!check.ok()) {
    why = check.status().message();
    return false;
  }
  if (check.value().exit_code == 0 && check.value().text.find("Looks good") != std::string::npos) {
    return true;
  }
  std::istringstream lines(check.value().text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("Error") != std::string::npos || line.find("error") != std::string::npos) {
      why = line;
      return false;
    }
  }
  why = fmt::format("`{} check` exited with {}", criu, check.value().exit_code);
  return false;
}

// The last line of a log, for messages.
std::string last_line(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::string last = "(empty)";
  while (std::getline(in, line)) {
    if (!line.empty()) {
      last = line;
    }
  }
  return last;
}

// Seconds a dump or a restore may take before CRIU is taken for hung and killed:
// FTMPI_CRIU_TIMEOUT, default 600 (0: no limit).
double criu_timeout() {
  const char* text = env_or("FTMPI_CRIU_TIMEOUT", "600");
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  return end != text && seconds >= 0 ? seconds : 600;
}

std::string timed_out_message(const std::string& what, double timeout, const fs::path& log) {
  return fmt::format(
      "{} did not finish within {:g} s and was killed (FTMPI_CRIU_TIMEOUT); the last line of "
      "its log {}: {}",
      what, timeout, log.string(), last_line(log));
}

std::string version_of(const std::string& criu) {
  auto v = capture({criu, "--version"});
  if (!v.ok()) {
    return "unknown version";
  }
  const std::string& text = v.value().text;
  return text.substr(0, text.find('\n'));
}

// The first line of a CRIU log that reports a real error (RLIMIT_NOFILE complaints are
// harmless), for messages.
std::string last_error(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::string first;
  std::string last;
  while (std::getline(in, line)) {
    if (line.find("Error") == std::string::npos) {
      continue;
    }
    if (first.empty() && line.find("RLIMIT_NOFILE") == std::string::npos) {
      first = line;
    }
    last = line;
  }
  if (!first.empty()) {
    return first;
  }
  return last.empty() ? "see " + log.string() : last;
}

}  // namespace

Result<CriuInfo> find_criu() {
  std::vector<std::pair<std::string, std::string>> candidates;
  if (const char* forced = env_or("FTMPI_CRIU", nullptr)) {
    candidates.emplace_back(forced, "FTMPI_CRIU");
  } else {
    for (const char* dir : {"/usr/sbin", "/sbin", "/usr/local/sbin"}) {
      if (::access((fs::path(dir) / "criu").c_str(), X_OK) == 0) {
        candidates.emplace_back((fs::path(dir) / "criu").string(), "system");
        break;
      }
    }
    const char* prefix = env_or("FTMPI_CRIU_PREFIX", nullptr);
    candidates.emplace_back(
        (fs::path(prefix != nullptr ? prefix : "/opt/ftmpi/criu") / "bin/criu").string(),
        "private");
  }
  std::string reasons;
  for (const auto& [path, origin] : candidates) {
    if (::access(path.c_str(), X_OK) != 0) {
      reasons += fmt::format("\n  {} ({}): not installed", path, origin);
      continue;
    }
    std::string why;
    if (passes_check(path, why)) {
      CriuInfo info{path, version_of(path), origin};
      logger("criu")->debug("using {} CRIU {} ({})", origin, path, info.version);
      return info;
    }
    reasons += fmt::format("\n  {} ({}): {}", path, origin, why);
  }
  return unsupported(fmt::format(
      "no working CRIU:{}\nRun scripts/setup.sh (it installs one), run as root or give criu "
      "CAP_CHECKPOINT_RESTORE and CAP_SYS_PTRACE (setcap cap_checkpoint_restore,cap_sys_ptrace+eip "
      "CRIU), or use --mode native (no checkpoints)",
      reasons));
}

bool remove_stale_parasite_dir(pid_t pid, double min_age_s) {
  const std::string dir = fmt::format("/proc/{}/cwd/proc.crtools", pid);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return false;
  }
  const double age = seconds_since_written(dir);
  if (age < min_age_s) {
    return false;
  }
  struct statfs fs_info {};
  if (::statfs(dir.c_str(), &fs_info) == 0 && fs_info.f_type == PROC_SUPER_MAGIC) {
    ::umount2(dir.c_str(), MNT_DETACH);  // mounted by a parasite that got no further
  }
  if (::rmdir(dir.c_str()) != 0) {
    return false;
  }
  logger("criu")->warn(
      "removed proc.crtools, left in the working directory of pid {} by a CRIU dump that was "
      "cut short {:.0f} s ago (it would make every dump there fail)",
      pid, age);
  return true;
}

Status Criu::dump(pid_t pid, const std::string& images_dir, bool leave_running) const {
  std::error_code ec;
  if (!fs::is_directory(images_dir, ec)) {
    return not_found(fmt::format("image folder {} does not exist", images_dir));
  }
  const fs::path log = fs::path(images_dir) / "dump.log";
  std::vector<std::string> argv{
      m_info.path, "dump", "-t", std::to_string(pid), "-D", images_dir, "-o", "dump.log", "-v4"};
  if (leave_running) {
    argv.emplace_back("--leave-running");
  }
  // CRIU's parasite mounts a procfs at a fixed name in the dumped process's working
  // directory; two dumps of processes that share one (the ranks of an MPI job do) would
  // collide, so dumps on a node take turns.
  const int lock = ::open(env_or("FTMPI_CRIU_LOCK", "/dev/shm/ftmpi-criu-dump.lock"),
                          O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (lock >= 0) {
    while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {}
  }
  remove_stale_parasite_dir(pid);
  const double timeout = criu_timeout();
  auto run = capture(argv, {}, timeout);
  if (lock >= 0) {
    ::close(lock);
  }
  if (!run.ok()) {
    return run.status();
  }
  if (run.value().timed_out) {
    return io_error(timed_out_message(fmt::format("criu dump of pid {}", pid), timeout, log));
  }
  if (run.value().exit_code != 0) {
    return io_error(fmt::format("criu dump of pid {} failed: {}", pid, last_error(log)));
  }
  return {};
}

Result<pid_t> Criu::restore(const std::string& images_dir) const {
  return restore(images_dir, images_dir, {});
}

Result<pid_t> Criu::restore(const std::string& images_dir, const std::string& work_dir,
                            const std::vector<InheritFd>& inherit) const {
  std::error_code ec;
  if (!fs::exists(fs::path(images_dir) / "inventory.img", ec)) {
    return corrupt(fmt::format("{} holds no CRIU images (no inventory.img)", images_dir));
  }
  const fs::path pidfile = fs::absolute(fs::path(work_dir) / "restored.pid", ec);
  fs::remove(pidfile, ec);
  std::vector<std::string> argv{m_info.path, "restore", "-D",        images_dir,
                                "-W",        work_dir,  "-o",        "restore.log",
                                "-v4",       "-d",      "--pidfile", pidfile.string()};
  std::vector<std::pair<int, int>> keep;
  int next = 100;  // descriptor numbers criu gets them under
  for (const InheritFd& i : inherit) {
    keep.emplace_back(i.fd, next);
    argv.emplace_back("--inherit-fd");
    argv.push_back(fmt::format("fd[{}]:{}", next, i.key));
    ++next;
  }
  const double timeout = criu_timeout();
  auto run = capture(argv, keep, timeout);
  if (!run.ok()) {
    return run.status();
  }
  if (run.value().timed_out) {
    return io_error(timed_out_message(fmt::format("criu restore from {}", images_dir), timeout,
                                      fs::path(work_dir) / "restore.log"));
  }
  if (run.value().exit_code != 0) {
    const fs::path log = fs::path(work_dir) / "restore.log";
    return io_error(fmt::format("criu restore from {} failed: {} (the whole log: {})", images_dir,
                                last_error(log), log.string()));
  }
  std::ifstream in(pidfile);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) {
    return internal_error(fmt::format("criu restore wrote no pid to {}", pidfile.string()));
  }
  return static_cast<pid_t>(pid);
}

Result<pid_t> spawn_in_pid_namespace(const std::vector<std::string>& argv,
                                     const std::string& output) {
  SpawnOptions options;
  options.output = output;
  auto spawned = spawn_process(argv, options);
  if (!spawned.ok()) {
    return spawned.status();
  }
  return spawned.value().pid;
}

}  // namespace ftmpi
