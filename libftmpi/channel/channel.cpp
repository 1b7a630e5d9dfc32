#include "channel/channel.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <string_view>
#include <utility>

#include "util/clock.hpp"
#include "util/env.hpp"

namespace ftmpi {
namespace {

// Shared (not FUTEX_PRIVATE) operations: the word is in a file both processes map.
long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value,
           const timespec* timeout) noexcept {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, timeout, nullptr,
                   0);
}

void futex_wake(std::atomic<std::uint32_t>* word) noexcept {
  futex(word, FUTEX_WAKE, 1, nullptr);
}

void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                std::uint64_t timeout_ns) noexcept {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout_ns / 1000000000U);
  ts.tv_nsec = static_cast<long>(timeout_ns % 1000000000U);
  futex(word, FUTEX_WAIT, expected, timeout_ns == 0 ? nullptr : &ts);
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until `word` differs from `value` or the spin budget is spent; true if it did.
bool spin_until_changed(const std::atomic<std::uint32_t>& word, std::uint32_t value) noexcept {
  static const std::uint64_t budget = channel_spin_ns();
  if (budget == 0) {
    return word.load(std::memory_order_acquire) != value;
  }
  const std::uint64_t start = monotonic_ns();
  for (unsigned i = 0;; ++i) {
    for (int k = 0; k < 64; ++k) {
      if (word.load(std::memory_order_acquire) != value) {
        return true;
      }
      cpu_relax();
    }
    if (monotonic_ns() - start > budget) {
      return false;
    }
    if ((i & 7U) == 7U) {
      ::sched_yield();  // the other side may be waiting for this core
    }
  }
}

Result<ChannelLayout*> map_file(int fd, const std::string& path) {
  void* p = ::mmap(nullptr, k_channel_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    return errno_status("cannot map the channel " + path, errno);
  }
  return static_cast<ChannelLayout*>(p);
}

}  // namespace

std::uint64_t channel_spin_ns() noexcept {
  const char* set = env_or("FTMPI_SPIN_NS", "");
  if (*set != '\0') {
    return std::strtoull(set, nullptr, 10);
  }
  // Bound to one core (mpirun --bind-to core), the application and its proxy share it:
  // while one spins the other cannot run, so sleep at once.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) <= 1) {
    return 0;
  }
  return 20000;
}

Channel::Channel(Channel&& other) noexcept
    : m_layout(std::exchange(other.m_layout, nullptr)),
      m_path(std::move(other.m_path)),
      m_lock_fd(std::exchange(other.m_lock_fd, -1)) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    this->~Channel();
    m_layout = std::exchange(other.m_layout, nullptr);
    m_path = std::move(other.m_path);
    m_lock_fd = std::exchange(other.m_lock_fd, -1);
  }
  return *this;
}

Channel::~Channel() {
  if (m_layout != nullptr) {
    ::munmap(m_layout, k_channel_bytes);
    m_layout = nullptr;
  }
  release_lock();
}

void Channel::release_lock() noexcept {
  if (m_lock_fd >= 0) {
    ::close(m_lock_fd);
    m_lock_fd = -1;
  }
}

namespace {

// Whether the file this process maps at `address` was removed (a new one may have taken
// its path): /proc/self/maps says "(deleted)" after its name.
bool mapping_deleted(const void* address) noexcept {
  const int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  char prefix[32];
  const int prefix_len =
      std::snprintf(prefix, sizeof prefix, "%lx-", reinterpret_cast<unsigned long>(address));
  // Line by line through a small buffer: no allocation, the maps may be long.
  char buffer[4096];
  std::size_t held = 0;
  bool deleted = false;
  bool done = false;
  while (!done) {
    const ssize_t got = ::read(fd, buffer + held, sizeof buffer - held);
    if (got <= 0) {
      break;
    }
    held += static_cast<std::size_t>(got);
    std::size_t start = 0;
    for (std::size_t i = 0; i < held; ++i) {
      if (buffer[i] != '\n') {
        continue;
      }
      const std::string_view line(buffer + start, i - start);
      if (line.substr(0, static_cast<std::size_t>(prefix_len)) == prefix) {
        deleted = line.ends_with(" (deleted)");
        done = true;
        break;
      }
      start = i + 1;
    }
    if (start == 0 && held == sizeof buffer) {
      held = 0;  // a line longer than the buffer: not ours (ours is a short path)
    } else {
      std::memmove(buffer, buffer + start, held - start);
      held -= start;
    }
  }
  ::close(fd);
  return deleted;
}

}  // namespace

bool Channel::proxy_alive() const noexcept {
  // The file at the path is another one (a restart made it): no proxy serves ours.
  if (mapping_deleted(m_layout)) {
    return false;
  }
  const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_OFD_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

Result<Channel> Channel::create(const std::string& path, double lock_wait_seconds) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno_status("cannot create the channel " + path, errno);
  }
  // The lock says "a proxy serves this channel" for as long as this process lives.
  // Taken first: a proxy handing the channel over may still hold it for a while.
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const std::uint64_t deadline =
      monotonic_ns() + static_cast<std::uint64_t>(std::max(0.0, lock_wait_seconds) * 1e9);
  while (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    const int err = errno;
    if ((err != EAGAIN && err != EACCES) || monotonic_ns() >= deadline) {
      ::close(fd);
      return errno_status("another rank proxy holds the channel " + path, err);
    }
    ::usleep(1000);
  }
  struct stat st {};
  ::fstat(fd, &st);
  std::uint32_t previous = 0;
  if (static_cast<std::size_t>(st.st_size) >= sizeof(ChannelLayout)) {
    // Taking over from an earlier proxy: keep counting generations.
    struct {
      std::uint64_t magic;
      std::uint32_t version;
      std::uint32_t bytes;
      std::uint32_t generation;
    } old{};
    static_assert(offsetof(ChannelLayout, generation) == 16);
    if (::pread(fd, &old, sizeof old, 0) == static_cast<ssize_t>(sizeof old) &&
        old.magic == k_channel_magic) {
      previous = old.generation;
    }
  }
  if (::ftruncate(fd, static_cast<off_t>(k_channel_bytes)) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_status("cannot size the channel " + path, err);
  }
  // Mapped through a description of its own: a mapping holds its file description,
  // and a process forked from this one (the application's keeper) keeps the mapping;
  // the lock's description must go when this process goes.
  const int map_fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  auto mapped = map_fd >= 0 ? map_file(map_fd, path)
                            : Result<ChannelLayout*>(errno_status("cannot map " + path, errno));
  if (map_fd >= 0) {
    ::close(map_fd);
  }
  if (!mapped.ok()) {
    ::close(fd);
    return mapped.status();
  }
  ChannelLayout* layout = mapped.value();
  // A restored application may already be waiting on this file's futex words: keep its
  // sequence numbers and identity, reset the rest.
  if (previous == 0) {
    new (layout) ChannelLayout{};
    layout->magic = k_channel_magic;
    layout->version = k_channel_version;
    layout->bytes = static_cast<std::uint32_t>(k_channel_bytes);
  }
  layout->proxy_pid.store(static_cast<std::int32_t>(::getpid()));
  layout->app_ended.store(0);
  layout->app_status.store(0);
  layout->handover.store(0);
  layout->proxy_sleeping.store(0);
  layout->tracker_wanted.store(0);
  layout->tracker_fd = -1;
  layout->generation.store(previous + 1, std::memory_order_release);
  Channel channel;
  channel.m_layout = layout;
  channel.m_path = path;
  channel.m_lock_fd = fd;
  return channel;
}

Result<Channel> Channel::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return errno_status("cannot open the channel to the rank proxy " + path, errno);
  }
  auto mapped = map_file(fd, path);
  ::close(fd);
  if (!mapped.ok()) {
    return mapped.status();
  }
  ChannelLayout* layout = mapped.value();
  if (layout->magic != k_channel_magic || layout->version != k_channel_version) {
    ::munmap(layout, k_channel_bytes);
    return corrupt(path + " is not an ftmpi channel of version " +
                   std::to_string(k_channel_version));
  }
  Channel channel;
  channel.m_layout = layout;
  channel.m_path = path;
  return channel;
}

bool Channel::call(std::uint64_t grace_ns) noexcept {
  ChannelLayout& l = *m_layout;
  const std::uint32_t seq = l.call_seq.load(std::memory_order_relaxed) + 1;
  // seq_cst store then load (and the proxy's mirror image) means one of the two sides
  // sees the other: no lost wake-up.
  l.call_seq.store(seq, std::memory_order_seq_cst);
  if (l.proxy_sleeping.load(std::memory_order_seq_cst) != 0) {
    futex_wake(&l.call_seq);
  }
  std::uint32_t reply = l.reply_seq.load(std::memory_order_acquire);
  if (reply == seq || spin_until_changed(l.reply_seq, reply)) {
    if (l.reply_seq.load(std::memory_order_acquire) == seq) {
      return true;
    }
  }
  constexpr std::uint64_t k_check_every_ns = 1000000000U;
  std::uint64_t orphaned_since = 0;
  for (;;) {
    reply = l.reply_seq.load(std::memory_order_acquire);
    if (reply == seq) {
      return true;
    }
    l.app_sleeping.store(1, std::memory_order_seq_cst);
    if (l.reply_seq.load(std::memory_order_seq_cst) != seq) {
      futex_wait(&l.reply_seq, reply, k_check_every_ns);
    }
    l.app_sleeping.store(0, std::memory_order_relaxed);
    if (l.reply_seq.load(std::memory_order_acquire) != seq) {
      if (proxy_alive()) {
        orphaned_since = 0;
      } else if (orphaned_since == 0) {
        orphaned_since = monotonic_ns();
      } else if (monotonic_ns() - orphaned_since > (l.handover.load(std::memory_order_acquire) != 0
                                                        ? std::max(grace_ns, k_handover_grace_ns)
                                                        : grace_ns)) {
        return false;
      }
    }
  }
}

std::uint32_t Channel::wait_call(std::uint32_t seen, std::uint64_t timeout_ns) noexcept {
  ChannelLayout& l = *m_layout;
  if (spin_until_changed(l.call_seq, seen)) {
    return l.call_seq.load(std::memory_order_acquire);
  }
  l.proxy_sleeping.store(1, std::memory_order_seq_cst);
  if (l.call_seq.load(std::memory_order_seq_cst) == seen) {
    futex_wait(&l.call_seq, seen, timeout_ns);
  }
  l.proxy_sleeping.store(0, std::memory_order_relaxed);
  return l.call_seq.load(std::memory_order_acquire);
}

void Channel::reply(std::uint32_t seq) noexcept {
  ChannelLayout& l = *m_layout;
  l.reply_seq.store(seq, std::memory_order_seq_cst);
  if (l.app_sleeping.load(std::memory_order_seq_cst) != 0) {
    futex_wake(&l.reply_seq);
  }
}

}  // namespace ftmpi
