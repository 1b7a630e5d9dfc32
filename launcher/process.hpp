// Running a child program in the foreground: signals to the launcher are forwarded to
// it, and its exit status is reported the way a shell reports one.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

// Starts argv[0] (looked up in PATH) with argv, inheriting stdin, stdout, stderr, the
// file descriptors not marked close-on-exec and the environment plus `set_env`
// ("NAME=value" entries, replacing any NAME already set); forwards SIGINT, SIGTERM,
// SIGHUP, SIGUSR1 and SIGUSR2 to it while it runs; waits.  Returns its exit code, or
// 128 + N if signal N killed it.  Not thread-safe: one foreground child at a time.
Result<int> run_foreground(const std::vector<std::string>& argv,
                           const std::vector<std::string>& set_env = {});
// A child started in the background, with the same arguments; until it is reaped
// (poll_background, wait_background), a signal recorded by record_forwarded_signals()
// is forwarded to it too.  Several may run at once (the MPI layer of a job and the next
// one, started before a migration).
Result<pid_t> start_background(const std::vector<std::string>& argv,
                               const std::vector<std::string>& set_env = {});
// Its exit code (as run_foreground's) once it has ended, else nothing; never blocks.
std::optional<int> poll_background(pid_t pid);
// Waits for it to end.
int wait_background(pid_t pid);
// SIGTERM, and SIGKILL if it has not ended `grace_seconds` later; reaps it.
void stop_background(pid_t pid, double grace_seconds = 10);
// The last signal forwarded to a foreground child (someone stopped the job), or 0.
int forwarded_signal() noexcept;
// From now on, also between foreground children: a signal that would be forwarded is
// recorded (forwarded_signal()) instead of ending this process.
void record_forwarded_signals() noexcept;

}  // namespace ftmpi
