// ftmpi-noded NODE_DIR: a node's daemon for a job on a hostfile with spares (started by
// ftmpi-launch through its remote-exec agent, docs/ftmpi-launch.md "Spare nodes").  It
// beats every second in NODE_DIR/heartbeat, which ftmpi-launch and ftmpi-ctl read to
// tell that the node is up, and ends when NODE_DIR/stop appears, when NODE_DIR is gone,
// or when ftmpi-launch has not beaten (NODE_DIR/../launcher) for 30 s.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "util/files.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fputs("usage: ftmpi-noded NODE_DIR   (started by ftmpi-launch --spares)\n",
               argc == 2 ? stdout : stderr);
    return argc == 2 ? 0 : 64;
  }
  const fs::path dir = argv[1];
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "ftmpi-noded: %s is not a directory\n", argv[1]);
    return 66;
  }
  std::ofstream(dir / "noded.pid") << ::getpid() << '\n';
  for (;;) {
    if (fs::exists(dir / "stop", ec) || !fs::is_directory(dir, ec)) {
      fs::remove(dir / "stop", ec);
      return 0;
    }
    const double launcher = ftmpi::seconds_since_written((dir.parent_path() / "launcher").string());
    if (launcher < 0 || launcher > 30) {
      std::fprintf(stderr, "ftmpi-noded: ftmpi-launch is gone; ending\n");
      return 0;
    }
    std::ofstream(dir / "heartbeat", std::ios::trunc) << ::getpid() << '\n';
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}
