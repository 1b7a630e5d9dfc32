// ftmpi-noded [--sample-interval SECONDS] NODE_DIR: a node's daemon for a job with spare
// nodes (started by ftmpi-launch through its remote-exec agent, docs/ftmpi-launch.md
// "Spare nodes").  It beats every second in NODE_DIR/heartbeat, which ftmpi-launch and
// ftmpi-ctl read to tell that the node is up, and leaves the node's latest counters in
// NODE_DIR/node-sample every SECONDS (default 1; 0: none), from which the predictor rank
// scores nodes that hold no ranks, the spares.  It ends when NODE_DIR/stop appears, when
// NODE_DIR is gone, or when ftmpi-launch has not beaten (NODE_DIR/../launcher) for 30 s.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ckpt/manifest.hpp"
#include "telemetry/samples.hpp"
#include "telemetry/system_probe.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"

namespace fs = std::filesystem;

namespace {

constexpr const char* k_usage =
    "usage: ftmpi-noded [--sample-interval SECONDS] NODE_DIR   (started by ftmpi-launch)\n";

}  // namespace

int main(int argc, char** argv) {
  double interval = 1;
  int i = 1;
  if (i < argc && std::strcmp(argv[i], "--help") == 0) {
    std::fputs(k_usage, stdout);
    return 0;
  }
  if (i + 1 < argc && std::strcmp(argv[i], "--sample-interval") == 0) {
    char* end = nullptr;
    interval = std::strtod(argv[i + 1], &end);
    if (end == argv[i + 1] || *end != '\0' || !(interval >= 0)) {
      std::fprintf(stderr, "ftmpi-noded: --sample-interval %s is not a number of seconds\n",
                   argv[i + 1]);
      return 64;
    }
    i += 2;
  }
  if (i + 1 != argc) {
    std::fputs(k_usage, stderr);
    return 64;
  }
  const fs::path dir = argv[i];
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::fprintf(stderr, "ftmpi-noded: %s is not a directory\n", argv[i]);
    return 66;
  }
  std::ofstream(dir / "noded.pid") << ::getpid() << '\n';
  ftmpi::NodeProbe probe(ftmpi::node_probe_config_from_environment());
  const double tick = interval > 0 ? std::min(interval, 1.0) : 1.0;
  double last_beat = -1;
  double last_sample = -1;
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
    const double now = ftmpi::wall_seconds();
    if (last_beat < 0 || now - last_beat >= 1) {
      (void)ftmpi::beat((dir / "heartbeat").string(), std::to_string(::getpid()) + "\n");
      last_beat = now;
    }
    if (interval > 0 && (last_sample < 0 || now - last_sample >= interval * 0.999)) {
      ftmpi::NodeSample sample = probe.sample();
      sample.time = now;
      (void)ftmpi::write_file_atomically((dir / ftmpi::k_node_sample_file).string(),
                                         ftmpi::node_sample_text(sample));
      last_sample = now;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(tick));
  }
}
