#include "mpi/forward.hpp"

#include <dlfcn.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "arena/arena.h"
#include "channel/channel.hpp"
#include "ckpt/write_tracker.hpp"
#include "mpi/mpi_library.hpp"
#include "util/clock.hpp"
#include "util/job_env.hpp"

// Functions named after the MPI call they stand for (NAME_MPI_Call).
// NOLINTBEGIN(readability-identifier-naming)
namespace ftmpi {

bool g_forwarding = false;

namespace {

Channel g_channel;
std::mutex g_call_mutex;  // MPI_THREAD_SERIALIZED at most, but be safe against misuse
std::atomic<bool> g_initialized{false};
std::atomic<bool> g_finalized{false};
std::uint64_t g_arena_base = 0;  // the arena (libftmpi-arena), if preloaded
std::uint64_t g_arena_bytes = 0;

// How long an application waits for a new proxy after its own went away.
constexpr std::uint64_t k_proxy_grace_ns = 10ULL * 1000000000ULL;

[[noreturn]] void proxy_gone() {
  std::fprintf(stderr, "ftmpi: the rank proxy of this process went away; it exits.\n");
  std::_Exit(70);
}

[[gnu::constructor]] void detect_forwarding() {
  const char* path = std::getenv(k_env_channel);  // NOLINT(concurrency-mt-unsafe): one thread
  g_forwarding = path != nullptr && *path != '\0';
}

// Maps the channel and tells the proxy who this process is; exits on failure (there is
// no MPI to report through).
void attach() {
  const char* path = std::getenv(k_env_channel);  // NOLINT(concurrency-mt-unsafe)
  auto channel = Channel::open(path != nullptr ? path : "");
  if (!channel.ok()) {
    std::fprintf(stderr, "ftmpi: cannot reach the rank proxy: %s\n",
                 channel.status().message().c_str());
    std::_Exit(70);
  }
  g_channel = std::move(channel.value());
  ChannelLayout& l = g_channel.layout();
  AppIdentity me = local_mpi_library();
  me.pid = static_cast<std::int32_t>(::getpid());
  // The arena, where libftmpi-arena is preloaded: the proxy maps it and uses the
  // application's buffers in it as they are.
  if (auto describe = reinterpret_cast<ftmpi_arena_describe_fn>(
          ::dlsym(RTLD_DEFAULT, "ftmpi_arena_describe"))) {
    int fd = -1;
    std::uint64_t base = 0;
    std::uint64_t bytes = 0;
    if (describe(&fd, &base, &bytes) != 0) {
      me.arena_fd = fd;
      me.arena_base = base;
      me.arena_bytes = bytes;
      g_arena_base = base;
      g_arena_bytes = bytes;
    }
  }
  l.app = me;
  // A migration's arena made ready beforehand is taken on a signal (arena/arena.h).
  if (auto swap_on_signal = reinterpret_cast<ftmpi_arena_swap_on_signal_fn>(
          ::dlsym(RTLD_DEFAULT, "ftmpi_arena_swap_on_signal"));
      swap_on_signal != nullptr && g_arena_bytes > 0) {
    (void)swap_on_signal(&l.arena_swap, &l.app.arena_signal);
  }
  // The proxy reads and writes this process's memory (process_vm_readv/writev): allow
  // it where Yama restricts that to ancestors (the proxy is one, but a restored process
  // may not be the child of its new proxy).
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

// The proxy wants the writes to the arena tracked (a migration's pre-copy): a
// userfaultfd registered on it, handed over in call k_call_tracker (channel.hpp).
// While the proxy before this one still holds the last one, tried again every 100 ms.
void offer_tracker(ChannelLayout& l) noexcept {
  static std::uint64_t retry_at = 0;
  if (g_arena_bytes == 0) {
    l.tracker_wanted.store(2, std::memory_order_relaxed);
    return;
  }
  const std::uint64_t now = monotonic_ns();
  if (now < retry_at) {
    return;
  }
  // The arena's address, as libftmpi-arena gives it.
  auto* base = reinterpret_cast<void*>(g_arena_base);  // NOLINT(performance-no-int-to-ptr)
  const int fd = track_writes(base, g_arena_bytes);
  if (fd < 0) {
    if (fd == -EBUSY) {
      retry_at = now + 100'000'000;
    } else {
      l.tracker_wanted.store(2, std::memory_order_relaxed);
    }
    return;
  }
  l.tracker_fd = fd;
  l.call = k_call_tracker;
  l.word_count = 0;
  l.error[0] = '\0';
  const bool answered = g_channel.call(k_proxy_grace_ns);
  ::close(fd);
  if (!answered) {
    proxy_gone();
  }
}

}  // namespace

std::uint64_t forward_words(CallId id, const std::uint64_t* words, std::size_t count) noexcept {
  const std::lock_guard lock(g_call_mutex);
  if (g_channel.path().empty()) {
    attach();
  }
  ChannelLayout& l = g_channel.layout();
  if (l.tracker_wanted.load(std::memory_order_relaxed) == 1) {
    offer_tracker(l);
  }
  l.call = static_cast<std::uint16_t>(id);
  l.word_count = static_cast<std::uint16_t>(count);
  if (count > 0) {
    std::memcpy(l.words, words, count * sizeof(std::uint64_t));
  }
  l.error[0] = '\0';
  if (!g_channel.call(k_proxy_grace_ns)) {
    proxy_gone();
  }
  if (l.error[0] != '\0') {
    const std::string_view name = static_cast<std::size_t>(id) < k_call_count
                                      ? call_info(id).name
                                      : std::string_view("ftmpi_checkpoint");
    std::fprintf(stderr, "ftmpi: %.*s: %s; the job stops here.\n", static_cast<int>(name.size()),
                 name.data(), l.error);
    std::fflush(stderr);
    // Abort the whole job through the proxy, as MPI_Abort would.
    l.call = static_cast<std::uint16_t>(CallId::MPI_Abort);
    l.word_count = 2;
    l.words[0] = to_word(MPI_COMM_WORLD);
    l.words[1] = 1;
    l.error[0] = '\0';
    (void)g_channel.call(k_proxy_grace_ns);
    std::_Exit(1);
  }
  if (id == CallId::MPI_Init || id == CallId::MPI_Init_thread) {
    g_initialized.store(true);
  } else if (id == CallId::MPI_Finalize) {
    g_finalized.store(true);
  }
  return l.result;
}

void transparent_unsupported(const char* call) noexcept {
  std::fprintf(stderr,
               "ftmpi: %s is not supported in transparent mode; the job stops here.\n"
               "ftmpi: docs/transparent.md lists what transparent mode covers; run with "
               "--mode native if the program needs %s.\n",
               call, call);
  std::fflush(stderr);
  if (!g_channel.path().empty() && !g_finalized.load()) {
    forward(CallId::MPI_Abort, MPI_COMM_WORLD, 1);
  }
  std::_Exit(1);
}

int appside_MPI_Get_address(const void* location, MPI_Aint* address) noexcept {
  *address = static_cast<MPI_Aint>(reinterpret_cast<std::uintptr_t>(location));
  return MPI_SUCCESS;
}

int appside_MPI_Alloc_mem(MPI_Aint size, MPI_Info /*info*/, void* baseptr) noexcept {
  void* p = std::malloc(static_cast<std::size_t>(size > 0 ? size : 1));
  if (p == nullptr) {
    return MPI_ERR_NO_MEM;
  }
  std::memcpy(baseptr, &p, sizeof p);
  return MPI_SUCCESS;
}

int appside_MPI_Free_mem(void* base) noexcept {
  std::free(base);
  return MPI_SUCCESS;
}

bool forwarding_initialized() noexcept {
  return g_initialized.load();
}

bool forwarding_finalized() noexcept {
  return g_finalized.load();
}

// NOLINTEND(readability-identifier-naming)
}  // namespace ftmpi
