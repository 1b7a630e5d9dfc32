// Starting the processes CRIU will checkpoint: each as PID 1 of a PID namespace of its
// own (so that a restore never collides with a PID in use) and as a session leader.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

struct SpawnOptions {
  // "" keeps this process's stdin, stdout and stderr; otherwise stdin is /dev/null and
  // stdout and stderr are appended to this file.
  std::string output;
  // With `output` empty: descriptors to become the new process's stdin, stdout and
  // stderr (-1 keeps this process's).
  int stdio[3] = {-1, -1, -1};
  // NAME=VALUE entries set (or replaced) in the new process's environment.
  std::vector<std::string> environment;
  // Without the privilege to create a PID namespace, start a plain child instead of
  // failing (it cannot be restored where its PID is taken).
  bool allow_without_namespace = false;
};

struct Spawned {
  pid_t pid = 0;  // as seen from here
  bool in_namespace = false;
};

// Starts `argv` (looked up in PATH), with no descriptors open but 0, 1 and 2 (CRIU dumps
// what the process holds).  The caller becomes a child subreaper, so the
// process (and trees CRIU restores detached) are its children: it must reap them with
// waitpid.  A namespace's init ignores SIGTERM from outside: stop it with SIGKILL.  Call
// it while this process has one thread (the child sets its environment after fork).
Result<Spawned> spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options);

// Another process's environment ("NAME=value" entries, /proc/PID/environ); empty when it
// cannot be read (gone, or not ours to read).
std::vector<std::string> process_environment(pid_t pid);

}  // namespace ftmpi
