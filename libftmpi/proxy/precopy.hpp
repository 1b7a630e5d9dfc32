// The pre-copy of a migration (docs/migration.md, "Pre-copy"): the arena of an
// application about to move (where libftmpi-arena keeps its heap, nearly all of its
// memory) is copied into an arena image while it runs; at the final dump only the pages
// written since are added, the arena is emptied and CRIU dumps the rest of the process,
// which is small.  The restore fills the arena from the image before the application
// continues.
//
// Writes are tracked with write_tracker.hpp in both processes that write the arena:
// the application (its userfaultfd taken over from it, channel.hpp) and this proxy
// (MPI receives into the application's buffers through the proxy's mapping).
//
// The copy runs on a thread of its own while the proxy serves the application; the
// rest runs on the proxy's thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "channel/channel.hpp"
#include "ckpt/arena_image.hpp"
#include "ckpt/manifest.hpp"
#include "util/status.hpp"

namespace ftmpi {

class Precopy {
 public:
  Precopy() = default;
  Precopy(const Precopy&) = delete;
  Precopy& operator=(const Precopy&) = delete;
  Precopy(Precopy&&) = delete;
  Precopy& operator=(Precopy&&) = delete;
  ~Precopy();

  // The application `app`'s arena: descriptor `app_fd` and address `app_base` there,
  // mapped here at `mapped`; this proxy's writes to it tracked from now on.  False (and
  // no pre-copy) where the kernel cannot track them.
  bool set_arena(pid_t app, int app_fd, std::uint64_t app_base, std::byte* mapped,
                 std::uint64_t bytes) noexcept;
  // Call k_call_tracker: the application's userfaultfd (descriptor `remote_fd` there)
  // taken over; false if it could not be.
  bool adopt(int remote_fd) noexcept;
  [[nodiscard]] bool tracking() const noexcept { return m_app_uffd >= 0 && m_own_uffd >= 0; }
  // How long the last complete copy took (before the final dump).
  [[nodiscard]] double copy_ms() const noexcept { return m_copy_ms; }

  // ftmpi-launch's order (`root`/order-precopy, looked at every 100 ms): a proxy of
  // node FROM starts the copy into `root`/precopy/rank-R.img and, when it is there,
  // writes rank-R.done (or rank-R.failed with the reason).  An order withdrawn stops it.
  void look_for_order(const std::string& root, const std::string& node, int rank) noexcept;

  // The final dump of migration state `state` (its name), the application quiesced:
  // true when a complete pre-copy is used: the application is stopped (SIGSTOP), the
  // pages written since are in the image, now `rank_dir`/arena.img, and the arena is
  // empty; false when there is none (or the application must be dumped whole: a
  // failure here leaves it running and untouched).
  bool finish(const std::string& state, const std::string& rank_dir) noexcept;
  // The dump after finish() failed: the arena is filled again from the image, the
  // image removed, the application continued; no pre-copy from now on.
  void undo(const std::string& rank_dir) noexcept;
  // This proxy leaves the application to another (a migration's hand-over): the copy
  // stops, the trackers are closed (the next proxy's application registers anew).
  void release() noexcept;

 private:
  void run(const std::string& image, const std::string& marker) noexcept;
  // After the copy, until the final dump (or a cancel): what the application wrote is
  // copied every k_follow_ms; given up (the marker turned to .failed) when it rewrote
  // more than half of its data in one period.
  void follow(const std::string& marker) noexcept;
  void stop_copy() noexcept;
  Status scan(std::vector<ByteRange>& written) noexcept;
  Status copy_cancellable(const std::vector<ByteRange>& ranges);

  pid_t m_app = 0;
  int m_memfd = -1;  // the arena's memfd, opened here
  std::uint64_t m_app_base = 0;
  std::byte* m_mapped = nullptr;
  std::uint64_t m_bytes = 0;
  std::uint64_t m_tracked = 0;   // the part of the arena whose writes are tracked
  std::uint64_t m_data_end = 0;  // where the arena's data ended when the copy began
  int m_app_uffd = -1;           // the application's tracker, taken over
  int m_own_uffd = -1;           // this proxy's
  int m_app_pagemap = -1;
  int m_own_pagemap = -1;
  double m_last_look = 0;
  std::string m_state;  // the migration state the copy is for ("": none)
  std::string m_image;
  std::thread m_thread;
  std::atomic<bool> m_cancel{false};
  std::atomic<bool> m_follow_stop{false};  // finish(): the final dump is next
  std::atomic<bool> m_ready{false};        // the copy is complete
  std::atomic<bool> m_over{false};         // the copy thread ended (complete or not)
  double m_copy_ms = 0;
  std::uint64_t m_followed = 0;  // bytes copied by follow() (its thread, then finish())
  ArenaImageWriter m_writer;
};

Precopy& precopy() noexcept;

// The restore of a migration state whose rank dir `rank_dir` holds an arena image: the
// restored (stopped) application `app` (its channel `layout`) continues with its arena
// filled (the time it took logged).  Nothing to do (ok) without an image.  Where the image
// was followed into a copy on this node while the job ran on (`ready`, its fds open
// here), the rest is added to that copy and the application takes it in place of its
// own arena (arena/arena.h), if it can; else the image is loaded into its arena.
Status load_precopied_arena(const std::string& rank_dir, pid_t app, ChannelLayout& layout,
                            ArenaImageFollower* ready);

}  // namespace ftmpi
