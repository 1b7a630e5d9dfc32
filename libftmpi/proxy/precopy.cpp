#include "proxy/precopy.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "channel/channel.hpp"
#include "ckpt/write_tracker.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

// Pieces the copy thread checks for a cancel between.
constexpr std::uint64_t k_piece = std::uint64_t{64} << 20;
// Rounds of copying what was written during the previous one, while that is large.
constexpr int k_rounds = 3;
constexpr std::uint64_t k_small_round = std::uint64_t{16} << 20;
// Once copied, what the application writes is copied again every this many ms until the
// final dump.
constexpr int k_follow_ms = 250;
// The tracked part of the arena: its data's end and this much more, in 2 MiB steps
// (one page table each).
constexpr std::uint64_t k_track_slack = std::uint64_t{64} << 20;
constexpr std::uint64_t k_track_align = std::uint64_t{2} << 20;

void close_fd(int& fd) noexcept {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

// Whether every thread of `pid` is stopped, waiting up to 2 s.
bool wait_stopped(pid_t pid) {
  const std::uint64_t give_up = monotonic_ns() + 2'000'000'000ULL;
  while (monotonic_ns() < give_up) {
    bool all = true;
    std::error_code ec;
    for (const auto& task : ftmpi::directory_entries(fmt::format("/proc/{}/task", pid), ec)) {
      const char state = proc_state((task.path() / "stat").string());
      all = all && (state == 'T' || state == 't');
    }
    if (all && !ec) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Whether `pid` has child processes (their private copies of the arena would change
// with it: such an application is dumped whole).
bool has_children(pid_t pid) {
  std::error_code ec;
  for (const auto& task : ftmpi::directory_entries(fmt::format("/proc/{}/task", pid), ec)) {
    std::ifstream in(task.path() / "children");
    std::string child;
    if (in >> child) {
      return true;
    }
  }
  return false;
}

// The bytes of `ranges` below `limit`: rewritten, where `limit` is the end of the data
// already copied (above it the application wrote new data, as when it grows).
std::uint64_t below(const std::vector<ByteRange>& ranges, std::uint64_t limit) {
  std::uint64_t n = 0;
  for (const ByteRange& r : ranges) {
    n += r.first < limit ? std::min(r.second, limit) - r.first : 0;
  }
  return n;
}

std::uint64_t total(const std::vector<ByteRange>& ranges) {
  std::uint64_t sum = 0;
  for (const ByteRange& r : ranges) {
    sum += r.second - r.first;
  }
  return sum;
}

}  // namespace

Precopy::~Precopy() {
  release();
}

bool Precopy::set_arena(pid_t app, int app_fd, std::uint64_t app_base, std::byte* mapped,
                        std::uint64_t bytes) noexcept {
  release();
  m_app = app;
  m_app_base = app_base;
  m_mapped = mapped;
  m_bytes = bytes;
  m_memfd = ::open(fmt::format("/proc/{}/fd/{}", app, app_fd).c_str(), O_RDWR | O_CLOEXEC);
  m_own_pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  m_app_pagemap = ::open(fmt::format("/proc/{}/pagemap", app).c_str(), O_RDONLY | O_CLOEXEC);
  const int own = track_writes(mapped, bytes);
  if (own >= 0 && m_memfd >= 0 && m_own_pagemap >= 0 && m_app_pagemap >= 0) {
    m_own_uffd = own;
    return true;
  }
  try {
    logger("proxy")->info(
        "migrations of this rank copy its arena during the downtime: {}",
        own >= 0 ? std::string("its pagemap cannot be read")
                 : fmt::format("no write tracking (Linux 6.7 or later): {}", std::strerror(-own)));
  } catch (...) {  // logging only
  }
  if (own >= 0) {
    ::close(own);
  }
  release();
  return false;
}

bool Precopy::adopt(int remote_fd) noexcept {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_app, 0));
  const int fd = pidfd < 0 ? -1 : static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0));
  const int err = errno;
  if (pidfd >= 0) {
    ::close(pidfd);
  }
  if (fd < 0) {
    logger("proxy")->info("the application's write tracker cannot be taken over: {}",
                          std::strerror(err));
    return false;
  }
  close_fd(m_app_uffd);
  m_app_uffd = fd;
  return true;
}

Status Precopy::scan(std::vector<ByteRange>& written) noexcept {
  Status s = scan_written(m_app_pagemap, m_app_base, m_tracked, written);
  if (s.ok()) {
    s = scan_written(m_own_pagemap, reinterpret_cast<std::uintptr_t>(m_mapped), m_tracked, written);
  }
  if (s.ok()) {
    try {
      merge_ranges(written);
    } catch (...) {
      return internal_error("out of memory");
    }
  }
  return s;
}

Status Precopy::copy_cancellable(const std::vector<ByteRange>& ranges) {
  for (const ByteRange& r : ranges) {
    for (std::uint64_t at = r.first; at < r.second; at += k_piece) {
      if (m_cancel.load(std::memory_order_relaxed)) {
        return Status(StatusCode::timeout, "cancelled");
      }
      if (Status s = m_writer.copy(m_memfd, {{at, std::min(r.second, at + k_piece)}}); !s.ok()) {
        return s;
      }
    }
  }
  return {};
}

void Precopy::run(const std::string& image, const std::string& marker) noexcept {
  const std::uint64_t t0 = monotonic_ns();
  std::uint64_t last_round = 0;
  int rounds = 0;
  Status s = [&]() -> Status {
    // Tracked: the arena up to the end of its data now (the reserve is the machine's
    // memory: protecting all of it would cost page tables for all of it); data beyond
    // is copied whole at the final dump.
    try {
      const std::vector<ByteRange> data = file_extents(m_memfd, m_bytes, false);
      const std::uint64_t end = data.empty() ? 0 : data.back().second;
      m_data_end = end;
      m_tracked = std::min(
          m_bytes, (end + k_track_slack + k_track_align - 1) / k_track_align * k_track_align);
    } catch (...) {
      return internal_error("out of memory listing the arena's data");
    }
    std::vector<ByteRange> written;
    if (Status started = scan(written); !started.ok()) {  // the tracking starts here
      return started;
    }
    auto writer = ArenaImageWriter::create(image, m_bytes);
    if (!writer.ok()) {
      return writer.status();
    }
    m_writer = std::move(writer.value());
    // The data listed again, now that writes are tracked: a page first written between
    // the two listings would be in neither the copy nor a round.
    try {
      if (Status copied = copy_cancellable(file_extents(m_memfd, m_bytes, false)); !copied.ok()) {
        return copied;
      }
    } catch (...) {
      return internal_error("out of memory listing the arena's data");
    }
    const std::uint64_t first_pass = m_writer.data_bytes();
    // What was written meanwhile, again while that is much.
    for (rounds = 1; rounds <= k_rounds; ++rounds) {
      written.clear();
      if (Status scanned = scan(written); !scanned.ok()) {
        return scanned;
      }
      last_round = total(written);
      if (Status copied = copy_cancellable(written); !copied.ok()) {
        return copied;
      }
      if (last_round < k_small_round) {
        break;
      }
      // Rewritten about as fast as it is copied: the final dump would copy it all again.
      if (const std::uint64_t rewritten = below(written, m_data_end); rewritten * 2 > first_pass) {
        return unsupported(fmt::format(
            "the application rewrote {:.0f} of its {:.0f} MiB during the last copy: a pre-copy "
            "would not shorten the downtime",
            static_cast<double>(rewritten) / 1048576.0,
            static_cast<double>(first_pass) / 1048576.0));
      }
    }
    return {};
  }();
  const double seconds = static_cast<double>(monotonic_ns() - t0) * 1e-9;
  if (s.ok()) {
    m_copy_ms = seconds * 1e3;
    m_ready.store(true);
    logger("proxy")->info(
        "pre-copy: {:.1f} MiB of the arena copied in {:.2f} s ({} rounds, the "
        "last {:.1f} MiB)",
        static_cast<double>(m_writer.data_bytes()) / 1048576.0, seconds, rounds,
        static_cast<double>(last_round) / 1048576.0);
    (void)write_file_atomically(marker + ".done",
                                fmt::format("{} {:.3f}\n", m_writer.data_bytes(), seconds));
    follow(marker);
  } else if (!m_cancel.load()) {
    logger("proxy")->info("no pre-copy: {}", s.message());
    (void)write_file_atomically(marker + ".failed", s.message() + "\n");
  }
  m_over.store(true);
}

void Precopy::follow(const std::string& marker) noexcept {
  // What the image holds, and where that data ends: writes above it are new data (the
  // application grew), copied too but not counted as rewrites.
  std::uint64_t held = m_writer.data_bytes();
  std::uint64_t end = m_data_end;
  std::vector<ByteRange> written;
  for (;;) {
    for (int ms = 0; ms < k_follow_ms; ms += 10) {
      if (m_cancel.load() || m_follow_stop.load()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    written.clear();
    Status s = scan(written);
    const std::uint64_t bytes = total(written);
    const std::uint64_t rewritten = below(written, end);
    if (s.ok()) {
      s = copy_cancellable(written);  // all of it: the scan forgot these writes
    }
    m_followed += bytes;
    if (s.ok() && rewritten * 2 > held) {
      s = unsupported(fmt::format(
          "the application rewrote {:.0f} of its {:.0f} MiB in {:.2f} s: a pre-copy would "
          "not shorten the downtime",
          static_cast<double>(rewritten) / 1048576.0, static_cast<double>(held) / 1048576.0,
          k_follow_ms * 1e-3));
    }
    held += bytes - rewritten;
    if (!written.empty()) {
      end = std::max(end, written.back().second);
    }
    if (!s.ok()) {
      m_ready.store(false);
      if (!m_cancel.load()) {
        logger("proxy")->warn("pre-copy given up: {}; the arena is copied at the dump",
                              s.message());
        ::unlink((marker + ".done").c_str());
        (void)write_file_atomically(marker + ".failed", s.message() + "\n");
      }
      return;
    }
  }
}

void Precopy::stop_copy() noexcept {
  m_cancel.store(true);
  if (m_thread.joinable()) {
    m_thread.join();
  }
  m_cancel.store(false);
  m_follow_stop.store(false);
  m_followed = 0;
  m_ready.store(false);
  m_over.store(false);
  (void)m_writer.close();
  if (!m_image.empty()) {
    ::unlink(m_image.c_str());
    m_image.clear();
  }
  m_state.clear();
}

void Precopy::look_for_order(const std::string& root, const std::string& node, int rank) noexcept {
  const double now = wall_seconds();
  if (root.empty() || now - m_last_look < 0.1) {
    return;
  }
  m_last_look = now;
  try {
    std::ifstream in(fs::path(root) / k_precopy_order_file);
    std::string from;
    std::string state;
    if (!(in >> from >> state)) {
      if (!m_state.empty()) {
        stop_copy();  // withdrawn: the migration was abandoned or is over
      }
      return;
    }
    if (from != node || state == m_state) {
      return;
    }
    stop_copy();
    m_state = state;
    const fs::path dir = fs::path(root) / k_precopy_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string marker = (dir / fmt::format("rank-{}", rank)).string();
    std::string why;
    if (!tracking()) {
      why = "the writes to this rank's arena are not tracked (docs/migration.md, \"Pre-copy\")";
    } else if (has_children(m_app)) {
      why = "the application has child processes";
    }
    if (!why.empty()) {
      (void)write_file_atomically(marker + ".failed", why + "\n");
      return;
    }
    m_image = marker + ".img";
    m_thread = std::thread(&Precopy::run, this, m_image, marker);
  } catch (...) {  // out of memory, no thread: no pre-copy
    m_state.clear();
  }
}

bool Precopy::finish(const std::string& state, const std::string& rank_dir) noexcept {
  if (state.empty() || state != m_state || !m_thread.joinable()) {
    return false;
  }
  if (!m_ready.load()) {
    if (!m_over.load()) {
      logger("proxy")->warn("pre-copy not complete at the final dump: the arena is dumped whole");
    }
    stop_copy();
    return false;
  }
  m_follow_stop.store(true);  // the round under way is copied whole first
  m_thread.join();
  m_follow_stop.store(false);
  if (!m_ready.load()) {  // given up while following
    stop_copy();
    return false;
  }
  const std::uint64_t t0 = monotonic_ns();
  if (::kill(m_app, SIGSTOP) != 0 || !wait_stopped(m_app)) {
    ::kill(m_app, SIGCONT);
    logger("proxy")->warn("pre-copy not used: the application did not stop");
    stop_copy();
    return false;
  }
  std::vector<ByteRange> written;
  const std::string final_image = (fs::path(rank_dir) / k_arena_image_file).string();
  Status s = scan(written);
  try {  // and everything past the tracked part
    for (const ByteRange& r : file_extents(m_memfd, m_bytes, false)) {
      if (r.second > m_tracked) {
        written.emplace_back(std::max(r.first, m_tracked), r.second);
      }
    }
  } catch (...) {
    s = internal_error("out of memory listing the arena's data");
  }
  if (s.ok()) {
    s = m_writer.copy(m_memfd, written);
  }
  if (s.ok()) {
    s = m_writer.copy_holes(m_memfd);
  }
  if (s.ok()) {
    s = m_writer.close();
  }
  if (s.ok() && ::rename(m_image.c_str(), final_image.c_str()) != 0) {
    s = errno_status("cannot move the pre-copied arena into " + rank_dir, errno);
  }
  if (s.ok() && ::fallocate(m_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                            static_cast<off_t>(m_bytes)) != 0) {
    s = errno_status("cannot empty the arena", errno);
    ::unlink(final_image.c_str());
  }
  if (!s.ok()) {
    ::kill(m_app, SIGCONT);
    logger("proxy")->warn("pre-copy not used: {}", s.message());
    stop_copy();
    return false;
  }
  m_image.clear();
  logger("proxy")->info(
      "pre-copy: {:.1f} MiB written since, added in {:.1f} ms ({:.1f} MiB at the final dump)",
      static_cast<double>(m_followed + total(written)) / 1048576.0,
      static_cast<double>(monotonic_ns() - t0) * 1e-6,
      static_cast<double>(total(written)) / 1048576.0);
  return true;
}

void Precopy::undo(const std::string& rank_dir) noexcept {
  const std::string image = (fs::path(rank_dir) / k_arena_image_file).string();
  const Status loaded = load_arena_image(image, m_memfd);
  if (loaded.ok()) {
    ::kill(m_app, SIGCONT);
  } else {
    // Its memory is gone: it must not compute on.  The job goes back to a checkpoint.
    logger("proxy")->error("the application's arena cannot be filled again ({}): it is killed",
                           loaded.message());
    ::kill(m_app, SIGKILL);
  }
  ::unlink(image.c_str());
  stop_copy();
  release();  // no pre-copy from now on: the tracking is not to be trusted
}

void Precopy::release() noexcept {
  stop_copy();
  close_fd(m_app_uffd);
  close_fd(m_own_uffd);
  close_fd(m_app_pagemap);
  close_fd(m_own_pagemap);
  close_fd(m_memfd);
}

Precopy& precopy() noexcept {
  static Precopy p;
  return p;
}

namespace {

// The arena `ready` hands the stopped application `app` (arena/arena.h): its handler
// runs as it is continued.  The application's answer, or SWAP_GIVEN if none came while
// it lived (up to 10 minutes: a machine that stalls).
std::uint32_t hand_over_arena(pid_t app, int signal, ChannelLayout& layout,
                              const ArenaImageFollower& ready) {
  ftmpi_arena_swap& swap = layout.arena_swap;
  std::snprintf(swap.path, sizeof swap.path, "/proc/%d/fd/%d", static_cast<int>(::getpid()),
                ready.memfd());
  std::atomic_ref<std::uint32_t> state(swap.state);
  state.store(FTMPI_ARENA_SWAP_GIVEN, std::memory_order_release);
  if (::kill(app, signal) != 0 || ::kill(app, SIGCONT) != 0) {
    return FTMPI_ARENA_SWAP_GIVEN;
  }
  const std::uint64_t give_up = monotonic_ns() + 600'000'000'000ULL;
  for (int waits = 0; monotonic_ns() < give_up; ++waits) {
    const std::uint32_t now = state.load(std::memory_order_acquire);
    if (now != FTMPI_ARENA_SWAP_GIVEN) {
      return now;
    }
    const char s = proc_state(fmt::format("/proc/{}/stat", app));
    if (s == 'Z' || s == 'X' || s == '\0') {
      break;
    }
    ::usleep(waits < 100 ? 100 : 1000);
  }
  return FTMPI_ARENA_SWAP_GIVEN;
}

}  // namespace

Status load_precopied_arena(const std::string& rank_dir, pid_t app, ChannelLayout& layout,
                            ArenaImageFollower* ready) {
  const fs::path image = fs::path(rank_dir) / k_arena_image_file;
  std::error_code ec;
  if (!fs::exists(image, ec)) {
    return {};
  }
  const std::uint64_t t0 = monotonic_ns();
  const int signal = layout.app.arena_signal;
  bool fill_old = false;  // the application waits in its handler for the old arena filled
  if (ready != nullptr) {
    const std::uint64_t before = ready->applied();
    Status finished = ready->finish(image.string());
    if (!finished.ok()) {
      logger("proxy")->info("the arena made ready beforehand is not used: {}", finished.message());
    } else if (const std::string why = [&]() -> std::string {
                 return why_not_handed_over(app, signal, layout.app.arena_base,
                                            layout.app.arena_bytes);
               }();
               !why.empty()) {
      logger("proxy")->info("the arena made ready beforehand is not used: {}", why);
    } else {
      const std::uint32_t answer = hand_over_arena(app, signal, layout, *ready);
      if (answer == FTMPI_ARENA_SWAP_DONE) {
        logger("proxy")->info(
            "the pre-copied arena taken over from this node's copy in {:.1f} ms (of its image's "
            "{:.1f} MiB, {:.1f} MiB applied at the restore)",
            static_cast<double>(monotonic_ns() - t0) * 1e-6,
            static_cast<double>(ready->applied()) / 1048576.0,
            static_cast<double>(ready->applied() - before) / 1048576.0);
        return {};
      }
      if (answer != FTMPI_ARENA_SWAP_FAILED) {
        ::kill(app, SIGKILL);
        return internal_error("the restored application did not take its arena");
      }
      logger("proxy")->info("the application could not map this node's copy of its arena");
      fill_old = true;
    }
  }
  // Where the arena is in the application: its identity, kept in the channel recreated
  // from the saved one.
  const int memfd =
      ::open(fmt::format("/proc/{}/fd/{}", app, layout.app.arena_fd).c_str(), O_RDWR | O_CLOEXEC);
  if (memfd < 0) {
    return errno_status("cannot open the restored application's arena", errno);
  }
  Status loaded = load_arena_image(image.string(), memfd);
  ::close(memfd);
  if (loaded.ok()) {
    if (fill_old) {
      std::atomic_ref<std::uint32_t>(layout.arena_swap.state)
          .store(FTMPI_ARENA_SWAP_GO, std::memory_order_release);
    }
    ::kill(app, SIGCONT);
    logger("proxy")->info("the pre-copied arena loaded in {:.1f} ms",
                          static_cast<double>(monotonic_ns() - t0) * 1e-6);
  }
  return loaded;
}

}  // namespace ftmpi
