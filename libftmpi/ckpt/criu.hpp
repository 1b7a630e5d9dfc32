// CRIU, driven as a program (the private Debian 13 build cannot be linked: it runs with
// its own loader), and the PID namespaces application processes live in so that a
// restore never collides with a PID in use.
//
// Which criu: $FTMPI_CRIU if set; else the system `criu` when `criu check` passes;
// else the private build scripts/setup.sh installs ($FTMPI_CRIU_PREFIX, default
// /opt/ftmpi/criu).  The choice is logged.  Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

struct CriuInfo {
  std::string path;     // the criu to run
  std::string version;  // "Version: 4.1.1"
  std::string origin;   // "FTMPI_CRIU", "system" or "private"
};

// A CRIU that passes `criu check` on this kernel, or an error naming what to do: run
// scripts/setup.sh, give CRIU the capabilities it needs, or use --mode native.
Result<CriuInfo> find_criu();

class Criu {
 public:
  explicit Criu(CriuInfo info) : m_info(std::move(info)) {}
  [[nodiscard]] const CriuInfo& info() const noexcept { return m_info; }

  // Dumps the process tree rooted at `pid` into `images_dir` (which must exist and be
  // empty); the tree keeps running when `leave_running`, else CRIU kills it.  CRIU's
  // log goes to images_dir/dump.log; on failure the error quotes its last error line.
  Status dump(pid_t pid, const std::string& images_dir, bool leave_running) const;
  // Restores the tree in `images_dir`, detached; returns the restored root's PID.
  // CRIU's log goes to images_dir/restore.log.
  Result<pid_t> restore(const std::string& images_dir) const;
  // A descriptor of this process that replaces one the dumped process had: `key` names
  // the old one as CRIU does ("pipe:[1234]").
  struct InheritFd {
    int fd;
    std::string key;
  };
  // The same with CRIU's log and pid file in `work_dir` (the images stay untouched) and
  // `inherit` descriptors put in place of the old ones.
  Result<pid_t> restore(const std::string& images_dir, const std::string& work_dir,
                        const std::vector<InheritFd>& inherit) const;

 private:
  CriuInfo m_info;
};

// CRIU's parasite mounts a procfs at `proc.crtools` in the dumped process's working
// directory (its /proc is not its PID namespace's) and removes it again within
// milliseconds; a dump killed in between (its node lost, criu killed) leaves the
// directory behind, and every later dump of a process there fails ("Can't create a
// directory (-17)").  Removes such a leftover in `pid`'s working directory: empty (or a
// procfs still mounted there) and older than `min_age_s`, so never one a dump on
// another node sharing the directory is using.  Returns whether one was removed.
bool remove_stale_parasite_dir(pid_t pid, double min_age_s = 10);

// Starts `argv` as PID 1 of a new PID namespace and session leader, the way ftmpi runs
// application processes (CRIU restores it into a namespace of its own).  stdin is
// /dev/null, stdout and stderr go to `output` (appended).  Returns the PID of that
// process as seen from here.  The caller becomes a child subreaper, so that process (and
// trees CRIU restores detached) are its children: it must reap them with waitpid.
// Needs CAP_SYS_ADMIN.  Stop it with SIGKILL: a namespace's init ignores SIGTERM from
// outside.
Result<pid_t> spawn_in_pid_namespace(const std::vector<std::string>& argv,
                                     const std::string& output);

}  // namespace ftmpi
