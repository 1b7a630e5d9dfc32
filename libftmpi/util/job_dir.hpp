// A job's shared-memory directory (/dev/shm/ftmpi-job-XXXXXX: the rank proxies'
// channels) and the stale ones that jobs killed with SIGKILL leave behind.
//
// Whoever uses such a directory (ftmpi-launch, each rank proxy) holds a shared flock
// on its `.holders` file for as long as it does; the kernel drops the lock when the
// process dies, however it dies.  A directory whose `.holders` nobody holds is stale:
// the sweep takes the lock exclusively, renames the directory away (so that a newcomer
// makes a fresh one instead of writing into it) and removes it.  A newcomer that
// opened `.holders` just before checks, once it holds the lock, that the file is still
// the one at the path, and starts over if it is not (docs/transparent.md, "The job's
// directory").
#pragma once

#include <string>
#include <string_view>

#include "util/status.hpp"

namespace ftmpi {

// The name every job directory starts with.
inline constexpr const char* k_job_dir_prefix = "ftmpi-job-";

// Whether `name` (a file name, not a path) is a job directory's.
inline bool is_job_dir_name(std::string_view name) noexcept {
  return name.substr(0, std::char_traits<char>::length(k_job_dir_prefix)) == k_job_dir_prefix;
}

// A shared hold on a job directory; released when destroyed (or when the process ends).
class JobDirHold {
 public:
  JobDirHold() = default;
  JobDirHold(const JobDirHold&) = delete;
  JobDirHold& operator=(const JobDirHold&) = delete;
  JobDirHold(JobDirHold&& other) noexcept;
  JobDirHold& operator=(JobDirHold&& other) noexcept;
  ~JobDirHold();

  [[nodiscard]] bool held() const noexcept { return m_fd >= 0; }
  [[nodiscard]] const std::string& dir() const noexcept { return m_dir; }
  // The descriptor that holds it: a child process that keeps it open (fork shares the
  // lock) holds the directory as long as it does, whatever this one does.
  [[nodiscard]] int fd() const noexcept { return m_fd; }
  // Releases the hold and removes the directory if nobody else holds it (the last user
  // of a job's directory on a node cleans it up).  Returns whether it was removed.
  bool release_and_remove_if_unheld() noexcept;

 private:
  friend Result<JobDirHold> hold_job_dir(const std::string& dir);
  JobDirHold(std::string dir, int fd) noexcept : m_dir(std::move(dir)), m_fd(fd) {}
  std::string m_dir;
  int m_fd = -1;
};

// Makes `dir` (mode 0700) if it does not exist and holds it.
Result<JobDirHold> hold_job_dir(const std::string& dir);

// Removes the stale job directories in `parent` (sweep_stale_job_dirs), then makes a
// fresh one there (k_job_dir_prefix and a random suffix) and holds it.
Result<JobDirHold> make_job_dir(const std::string& parent);

// Removes `dir` if it has a `.holders` file that nobody holds, or if it is empty.
// Returns whether it was removed.
bool remove_job_dir_if_unheld(const std::string& dir) noexcept;

// Removes the stale job directories (k_job_dir_prefix) of this user in `parent`:
// those whose `.holders` nobody holds, and empty ones.  Directories without a
// `.holders` file that are not empty (made by an older ftmpi) are left alone.  Returns
// how many were removed; never fails (what cannot be removed stays).
int sweep_stale_job_dirs(const std::string& parent) noexcept;

}  // namespace ftmpi
