#include "util/job_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <utility>

namespace ftmpi {
namespace {

constexpr const char* k_holders = "/.holders";

constexpr std::string_view k_half_gone_prefix = "ftmpi-stale-";

// The directory renamed out of the way, then removed with everything in it.
bool remove_renamed(const std::string& dir) noexcept {
  const auto slash = dir.rfind('/');
  const std::string gone =
      dir.substr(0, slash + 1) + std::string(k_half_gone_prefix) + dir.substr(slash + 1);
  if (::rename(dir.c_str(), gone.c_str()) != 0) {
    if (errno != EEXIST && errno != ENOTEMPTY) {
      return false;
    }
    std::error_code ec;  // what an earlier removal, cut short, left under that name
    std::filesystem::remove_all(gone, ec);
    if (::rename(dir.c_str(), gone.c_str()) != 0) {
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(gone, ec);
  return true;
}

}  // namespace

JobDirHold::JobDirHold(JobDirHold&& other) noexcept
    : m_dir(std::move(other.m_dir)), m_fd(std::exchange(other.m_fd, -1)) {}

JobDirHold& JobDirHold::operator=(JobDirHold&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_dir = std::move(other.m_dir);
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

JobDirHold::~JobDirHold() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

bool JobDirHold::release_and_remove_if_unheld() noexcept {
  if (m_fd < 0) {
    return false;
  }
  ::close(std::exchange(m_fd, -1));
  return remove_job_dir_if_unheld(m_dir);
}

Result<JobDirHold> hold_job_dir(const std::string& dir) {
  const std::string holders = dir + k_holders;
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return errno_status("cannot create " + dir, errno);
    }
    const int fd = ::open(holders.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == ENOENT) {
        continue;  // removed as empty by a sweep between the two: make it again
      }
      return errno_status("cannot open " + holders, errno);
    }
    int locked = 0;
    do {
      locked = ::flock(fd, LOCK_SH);
    } while (locked != 0 && errno == EINTR);
    struct stat mine {};
    struct stat there {};
    if (locked == 0 && ::fstat(fd, &mine) == 0 && ::stat(holders.c_str(), &there) == 0 &&
        mine.st_ino == there.st_ino && mine.st_dev == there.st_dev) {
      return JobDirHold(dir, fd);
    }
    ::close(fd);  // a sweep removed the directory meanwhile: make a fresh one
  }
  return io_error("cannot hold " + dir + ": it keeps being removed");
}

Result<JobDirHold> make_job_dir(const std::string& parent) {
  (void)sweep_stale_job_dirs(parent);
  std::string dir = parent + "/" + k_job_dir_prefix + "XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    return errno_status("cannot create a directory in " + parent, errno);
  }
  return hold_job_dir(dir);
}

bool remove_job_dir_if_unheld(const std::string& dir) noexcept {
  const int fd = ::open((dir + k_holders).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT && ::rmdir(dir.c_str()) == 0;
  }
  const bool removed = ::flock(fd, LOCK_EX | LOCK_NB) == 0 && remove_renamed(dir);
  ::close(fd);
  return removed;
}

int sweep_stale_job_dirs(const std::string& parent) noexcept {
  DIR* d = ::opendir(parent.c_str());
  if (d == nullptr) {
    return 0;
  }
  int removed = 0;
  const uid_t me = ::geteuid();
  while (const dirent* e = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe): own stream
    const std::string_view name = e->d_name;
    const bool job = is_job_dir_name(name);
    const bool half_gone = name.rfind(k_half_gone_prefix, 0) == 0;
    if (!job && !half_gone) {
      continue;
    }
    const std::string path = parent + "/" + std::string(name);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != me) {
      continue;
    }
    if (half_gone) {  // a sweep that did not finish
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    } else if (remove_job_dir_if_unheld(path)) {
      ++removed;
    }
  }
  ::closedir(d);
  return removed;
}

}  // namespace ftmpi
