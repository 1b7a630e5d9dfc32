// ftmpi-rank: what mpirun starts for each application rank of an ftmpi job.
//
//   ftmpi-rank [--preload LIBRARY] -- PROGRAM [ARGS...]
//
// Runs PROGRAM (with LIBRARY in LD_PRELOAD) in the foreground, forwarding signals, and
// exits with its exit status.  libftmpi in PROGRAM reports on an inherited pipe when it
// has joined the job world (after MPI_Init) and left it (in MPI_Finalize).  A program
// that ends successfully without ever initialising MPI (a script, a serial tool) would
// leave the hidden predictor rank waiting for it forever; ftmpi-rank then joins and
// leaves the job world in its place, so the job ends as it would under plain mpirun.
// In transparent mode this process grows into the rank proxy.
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "comm/job_world.hpp"
#include "process.hpp"

namespace {

constexpr const char* k_usage = "usage: ftmpi-rank [--preload LIBRARY] -- PROGRAM [ARGS...]\n";

// Joins and leaves the job world for a rank whose program never used MPI.
int stand_in() {
  int argc = 0;
  if (MPI_Init(&argc, nullptr) != MPI_SUCCESS) {
    std::fprintf(stderr, "ftmpi-rank: MPI_Init failed while standing in for the program\n");
    return 1;
  }
  ftmpi::JobWorld world = ftmpi::join_job_world_or_abort(ftmpi::JobRole::app, "ftmpi-rank");
  ftmpi::Status left = ftmpi::greet_predictor(world, ftmpi::minimal_hello(world));
  if (left.ok()) {
    left = ftmpi::leave_job_world(world);
  }
  MPI_Finalize();
  return left.ok() ? 0 : 1;
}

int run(int argc, char** argv) {
  std::string preload;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--preload" && i + 1 < argc) {
      preload = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(k_usage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "ftmpi-rank: unexpected argument '%s'\n%s", arg.c_str(), k_usage);
      return 64;
    }
  }
  if (i >= argc) {
    std::fputs(k_usage, stderr);
    return 64;
  }
  const std::vector<std::string> program(argv + i, argv + argc);

  int fds[2] = {-1, -1};
  if (::pipe(fds) != 0) {
    std::perror("ftmpi-rank: pipe");
    return 70;
  }
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  std::vector<std::string> set_env{std::string(ftmpi::k_env_rank_fd) + "=" +
                                   std::to_string(fds[1])};
  if (!preload.empty()) {
    const char* old = std::getenv("LD_PRELOAD");  // NOLINT(concurrency-mt-unsafe)
    set_env.push_back("LD_PRELOAD=" + preload + (old != nullptr && *old != '\0' ? ":" : "") +
                      (old != nullptr ? old : ""));
  }
  auto exit_code = ftmpi::run_foreground(program, set_env);
  ::close(fds[1]);
  if (!exit_code.ok()) {
    std::fprintf(stderr, "ftmpi-rank: %s\n", exit_code.status().message().c_str());
    return 127;
  }
  bool joined = false;
  char buffer[64];
  ssize_t got = 0;
  while ((got = ::read(fds[0], buffer, sizeof buffer)) > 0) {
    joined = joined || std::memchr(buffer, 'I', static_cast<std::size_t>(got)) != nullptr;
  }
  ::close(fds[0]);
  if (exit_code.value() == 0 && !joined) {
    return stand_in();
  }
  return exit_code.value();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-rank: internal error: %s\n", e.what());
  }
  return 70;
}
