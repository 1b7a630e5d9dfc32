// The channel between an application process and its rank proxy (transparent mode):
// one shared-memory file, mapped by both, holding a header and one call slot.
//
// The application's libftmpi writes an MPI call into the slot (its id and its
// arguments as raw 64-bit words: pointers are addresses in the application, which the
// proxy reads and writes with process_vm_readv/writev), posts it, and waits for the
// reply.  One call is in flight at a time: libftmpi offers at most
// MPI_THREAD_SERIALIZED in this mode.
//
// Wake-ups spin briefly (a call answered within a few microseconds costs no system
// call) and then sleep on a futex, so neither side burns a core while the other is
// busy for long.  The futex words live in the shared file, so they are process-shared.
//
// The file's path is the channel's identity: a restored application process maps the
// same path again (CRIU restores shared file mappings by path), so a new proxy creates
// it before the restore.  The header's generation says which proxy serves it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "arena/arena.h"
#include "util/status.hpp"

namespace ftmpi {

inline constexpr std::uint64_t k_channel_magic = 0x4654'4d50'4943'4831ULL;  // "FTMPICH1"
inline constexpr std::uint32_t k_channel_version = 4;
inline constexpr std::size_t k_call_words = 16;
inline constexpr std::size_t k_channel_bytes = 8192;
inline constexpr std::size_t k_max_predefined = 384;
// Calls that are not MPI functions (the ids after the generated CallIds).
inline constexpr std::uint16_t k_call_checkpoint = 0xFFF0;  // ftmpi_checkpoint()
// The application offers the proxy a userfaultfd tracking writes to its arena.
inline constexpr std::uint16_t k_call_tracker = 0xFFF1;

// Who the application process is, as the proxy needs to know it.
struct AppIdentity {
  std::int32_t pid = 0;
  // The libmpi both load: the same file on both sides (size and inode), or no calls.
  std::uint64_t mpi_size = 0;
  std::uint64_t mpi_inode = 0;
  // Where MPI's predefined objects and callbacks are (MPI_INT is &ompi_mpi_int, which
  // may live in libmpi or, copy-relocated, in the executable), in the order of the
  // generated table: predefined handles are translated between the processes by it.
  std::uint32_t predefined_count = 0;
  std::uint64_t predefined[k_max_predefined] = {};
  // Its arena (libftmpi-arena, docs/transparent.md): the memfd's descriptor in the
  // application, and where and how large the mapping is; arena_bytes 0: none.
  std::int32_t arena_fd = -1;
  std::uint64_t arena_base = 0;
  std::uint64_t arena_bytes = 0;
  // The signal on which it takes a migration's arena made ready beforehand
  // (`ChannelLayout::arena_swap`); 0: none (no arena, or the application uses it).
  std::int32_t arena_signal = 0;
};

// The sequence numbers sit on cache lines of their own on purpose (the two processes
// write them): the padding clang-tidy counts is the point.
struct alignas(64) ChannelLayout {  // NOLINT(clang-analyzer-optin.performance.Padding)
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t bytes;
  std::atomic<std::uint32_t> generation;  // bumped by each proxy that (re)creates it
  std::atomic<std::int32_t> proxy_pid;
  AppIdentity app;

  // The call slot.  Sequence numbers are futex words; the sleeping flags tell the
  // other side whether a wake-up system call is needed.
  alignas(64) std::atomic<std::uint32_t> call_seq;
  std::atomic<std::uint32_t> proxy_sleeping;
  alignas(64) std::atomic<std::uint32_t> reply_seq;
  std::atomic<std::uint32_t> app_sleeping;
  alignas(64) std::uint16_t call;
  std::uint16_t word_count;
  std::uint64_t words[k_call_words];
  std::uint64_t result;
  // A message from the proxy when a call fails in a way MPI has no error code for (an
  // unreadable application address, a call transparent mode cannot perform).
  char error[512];

  // A migration (docs/migration.md): a proxy that leaves its application to the next
  // one sets `handover`; the application then waits for a new proxy far longer than
  // for one that died.  A new proxy clears it when it takes the channel over.
  std::atomic<std::uint32_t> handover;
  // Set by the application's keeper when the application has exited (`app_status` is
  // its wait status): how a proxy that did not start it learns how it ended.
  std::atomic<std::uint32_t> app_ended;
  std::atomic<std::int32_t> app_status;

  // The pre-copy of a migration (docs/migration.md) needs the writes to the arena
  // tracked: a proxy that has mapped the arena sets `tracker_wanted` (1); before its
  // next call the application registers its arena with a new userfaultfd, puts the
  // descriptor's number in `tracker_fd` and makes call k_call_tracker, in which the
  // proxy takes a copy of it (pidfd_getfd); the application then closes its own (CRIU
  // cannot dump one).  2: the application cannot (an older kernel); it does not try again.
  std::atomic<std::uint32_t> tracker_wanted;
  std::int32_t tracker_fd;

  // A migration's arena made ready on the node the rank moved to, while the job still
  // ran (docs/migration.md, "Pre-copy"): handed to the restored application through
  // signal `app.arena_signal` (arena/arena.h).
  ftmpi_arena_swap arena_swap;
};
static_assert(sizeof(ChannelLayout) <= k_channel_bytes);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// How long each side spins before it sleeps: FTMPI_SPIN_NS, else 0 when this process
// is bound to a single core (the application and its proxy share it), else 20 us.
std::uint64_t channel_spin_ns() noexcept;

class Channel {
 public:
  Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;
  ~Channel();

  // The proxy: creates (or takes over) the file at `path`, initialised, generation
  // one more than any previous proxy's.
  // A proxy that holds it (one handing it over) is waited for up to `lock_wait_seconds`.
  static Result<Channel> create(const std::string& path, double lock_wait_seconds = 0);
  // The application: maps the file a proxy created; checks magic and version.
  static Result<Channel> open(const std::string& path);

  [[nodiscard]] ChannelLayout& layout() noexcept { return *m_layout; }
  [[nodiscard]] const std::string& path() const noexcept { return m_path; }

  // --- application side ---
  // Posts the call written into the slot and waits for its reply; false if the proxy
  // went away without replying (and no new proxy took over within `grace_ns`).
  bool call(std::uint64_t grace_ns) noexcept;
  // How long the application waits for a new proxy during a migration's hand-over.
  static constexpr std::uint64_t k_handover_grace_ns = 600ULL * 1000000000ULL;
  // Whether a proxy holds the channel (its lock on the file; works across PID
  // namespaces and needs no file descriptor in the application).
  [[nodiscard]] bool proxy_alive() const noexcept;

  // --- proxy side ---
  // Waits up to `timeout_ns` for a call after `seen` (the last call_seq served);
  // returns the new call_seq, or `seen` on timeout.
  std::uint32_t wait_call(std::uint32_t seen, std::uint64_t timeout_ns) noexcept;
  // Publishes the reply to call `seq`.
  void reply(std::uint32_t seq) noexcept;
  // Lets go of the lock (a migration's hand-over: the next proxy may take the channel
  // while this one is still leaving MPI); the mapping stays.
  void release_lock() noexcept;

 private:
  ChannelLayout* m_layout = nullptr;
  std::string m_path;
  int m_lock_fd = -1;  // the proxy's: an open file description holding the lock
};

}  // namespace ftmpi
