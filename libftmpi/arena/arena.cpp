// libftmpi-arena: the large allocations of an application in transparent mode live in
// memory its rank proxy maps too (docs/transparent.md, "The arena").
//
// A rank proxy carries out the application's MPI calls.  A buffer the proxy cannot see
// must be copied into the proxy and back (process_vm_readv/writev); a buffer in the
// arena is handed to MPI as it is, at the proxy's address for the same memory, so a
// large message takes the one copy MPI makes, as in a native run.
//
// Unless FTMPI_ARENA=0 the proxy preloads this library into the application (before
// libftmpi).  It replaces malloc and its family: requests of FTMPI_ARENA_MIN bytes
// (default 64 KiB) and more are served from one shared mapping of a memfd (reserved as
// large as the machine's memory, sparse: only what is touched uses memory); everything
// else, and anything the arena cannot hold, goes to the C library's allocator.  CRIU saves and
// restores a memfd and its mapping with the process, so a restored application keeps its arena and
// its proxy maps it again through /proc/PID/fd.
//
// The allocator is first fit over an address-ordered free list with coalescing; every
// block is whole pages with a 64-byte header at its start.  Freed blocks of 4 MiB and
// more give their memory back (a hole punched in the memfd); smaller ones stay resident
// for the next allocation.  Nothing here allocates
// from the C++ runtime: it runs inside malloc.
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <ctime>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "arena/arena.h"

// The C library's allocator, which glibc exports under these names.
// NOLINTBEGIN(readability-identifier-naming,bugprone-reserved-identifier)
extern "C" {
void* __libc_malloc(std::size_t bytes);
void __libc_free(void* p);
void* __libc_calloc(std::size_t n, std::size_t bytes);
void* __libc_realloc(void* p, std::size_t bytes);
void* __libc_memalign(std::size_t align, std::size_t bytes);
}
// NOLINTEND(readability-identifier-naming,bugprone-reserved-identifier)

namespace {

constexpr std::size_t k_page = 4096;
constexpr std::size_t k_header = 64;
constexpr std::size_t k_default_min = std::size_t{64} << 10;
constexpr std::size_t k_release_bytes = std::size_t{4} << 20;
constexpr std::uint64_t k_block_magic = 0x6674'6d70'6162'6c6bULL;  // "ftmpiblk"
constexpr std::uint64_t k_tag_magic = 0x6674'6d70'6974'6167ULL;    // "ftmpitag"

// At the start of every block (whole pages).
struct Block {
  std::uint64_t magic;
  std::size_t bytes;  // the whole block, header included
  Block* prev_free;
  Block* next_free;
  std::uint32_t free;
  std::uint32_t clean;  // all of it past the header reads zero
};
static_assert(sizeof(Block) <= k_header - 16);

// Just before every pointer handed out: its block.
struct Tag {
  Block* block;
  std::uint64_t magic;
};

struct Arena {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  std::atomic<int> state{0};  // 0: not decided yet, 1: on, -1: off
  int fd = -1;
  std::byte* base = nullptr;
  std::size_t reserve = 0;
  std::size_t top = 0;  // bytes ever handed out from the start; zero above
  std::size_t min_bytes = k_default_min;
  Block* free_head = nullptr;  // in address order
};

Arena g_arena;

std::size_t round_up(std::size_t n, std::size_t to) noexcept {
  return (n + to - 1) / to * to;
}

class Lock {
 public:
  Lock() noexcept { pthread_mutex_lock(&g_arena.lock); }
  ~Lock() { pthread_mutex_unlock(&g_arena.lock); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  Lock(Lock&&) = delete;
  Lock& operator=(Lock&&) = delete;
};

// A forked child gets the arena as a private copy: its allocations must not land in
// the memory its parent (and the parent's proxy) use.
void before_fork() noexcept {
  pthread_mutex_lock(&g_arena.lock);
}
void after_fork_parent() noexcept {
  pthread_mutex_unlock(&g_arena.lock);
}
void after_fork_child() noexcept {
  if (g_arena.state == 1 &&
      ::mmap(g_arena.base, g_arena.reserve, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, g_arena.fd, 0) == MAP_FAILED) {
    g_arena.state = -1;  // the arena stays shared: new allocations go elsewhere
  }
  pthread_mutex_init(&g_arena.lock, nullptr);
}

std::size_t env_size(const char* name, std::size_t fallback) noexcept {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): under the lock
  if (text == nullptr || *text == '\0') {
    return fallback;
  }
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return end != nullptr && *end == '\0' ? static_cast<std::size_t>(value) : fallback;
}

// Decides once (under the lock) whether this process has an arena, and makes it.
bool ready() noexcept {
  if (g_arena.state != 0) {
    return g_arena.state == 1;
  }
  g_arena.state = -1;
  const char* channel = std::getenv("FTMPI_CHANNEL");  // NOLINT(concurrency-mt-unsafe)
  const char* enabled = std::getenv("FTMPI_ARENA");    // NOLINT(concurrency-mt-unsafe)
  if (channel == nullptr || *channel == '\0' ||
      (enabled != nullptr && std::strcmp(enabled, "0") == 0)) {
    return false;
  }
  g_arena.min_bytes = env_size("FTMPI_ARENA_MIN", k_default_min);
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  constexpr std::size_t k_gib = std::size_t{1} << 30;
  std::size_t reserve = pages > 0 ? static_cast<std::size_t>(pages) * k_page : 16 * k_gib;
  reserve = round_up(reserve, k_gib);
  reserve = env_size("FTMPI_ARENA_RESERVE", reserve);
  reserve = round_up(reserve < k_gib ? k_gib : reserve, k_page);
  const int fd = ::memfd_create("ftmpi-arena", MFD_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  if (::ftruncate(fd, static_cast<off_t>(reserve)) != 0) {
    ::close(fd);
    return false;
  }
  void* base = ::mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (base == MAP_FAILED) {
    ::close(fd);
    return false;
  }
  g_arena.fd = fd;
  g_arena.base = static_cast<std::byte*>(base);
  g_arena.reserve = reserve;
  g_arena.state = 1;
  ::pthread_atfork(before_fork, after_fork_parent, after_fork_child);
  return true;
}

bool in_arena(const void* p) noexcept {
  const auto* b = static_cast<const std::byte*>(p);
  // state and base do not change once set (a forked child keeps the range).
  return g_arena.base != nullptr && b >= g_arena.base && b < g_arena.base + g_arena.reserve;
}

// Gives the memory of [from, from + bytes) back: it reads zero afterwards.
void release(std::byte* from, std::size_t bytes) noexcept {
  if (bytes == 0) {
    return;
  }
  const auto offset = static_cast<off_t>(from - g_arena.base);
  if (::fallocate(g_arena.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset,
                  static_cast<off_t>(bytes)) != 0) {
    ::madvise(from, bytes, MADV_REMOVE);
  }
}

void unlink_free(Block* b) noexcept {
  if (b->prev_free != nullptr) {
    b->prev_free->next_free = b->next_free;
  } else {
    g_arena.free_head = b->next_free;
  }
  if (b->next_free != nullptr) {
    b->next_free->prev_free = b->prev_free;
  }
  b->prev_free = b->next_free = nullptr;
  b->free = 0;
}

Block* make_block(std::byte* at, std::size_t bytes, bool clean) noexcept {
  auto* b = reinterpret_cast<Block*>(at);
  b->magic = k_block_magic;
  b->bytes = bytes;
  b->prev_free = b->next_free = nullptr;
  b->free = 0;
  b->clean = clean ? 1 : 0;
  return b;
}

// A block of at least `bytes` (whole pages), from the free list or the top; nullptr
// when the arena is full.
Block* take(std::size_t bytes) noexcept {
  for (Block* b = g_arena.free_head; b != nullptr; b = b->next_free) {
    if (b->bytes < bytes) {
      continue;
    }
    const bool clean = b->clean != 0;
    const std::size_t rest = b->bytes - bytes;
    if (rest >= k_page) {
      // The rest stays free in b's place in the list.
      Block* r = make_block(reinterpret_cast<std::byte*>(b) + bytes, rest, clean);
      r->free = 1;
      r->prev_free = b->prev_free;
      r->next_free = b->next_free;
      if (r->prev_free != nullptr) {
        r->prev_free->next_free = r;
      } else {
        g_arena.free_head = r;
      }
      if (r->next_free != nullptr) {
        r->next_free->prev_free = r;
      }
      b->prev_free = b->next_free = nullptr;
      b->free = 0;
      b->bytes = bytes;
    } else {
      unlink_free(b);
    }
    return b;
  }
  if (bytes > g_arena.reserve - g_arena.top) {
    return nullptr;
  }
  Block* b = make_block(g_arena.base + g_arena.top, bytes, true);
  g_arena.top += bytes;
  return b;
}

// Merges `b` into `into` (b follows it directly).
void absorb(Block* into, Block* b) noexcept {
  const bool clean = into->clean != 0 && b->clean != 0;
  into->bytes += b->bytes;
  std::memset(static_cast<void*>(b), 0, k_header);  // its header is inside `into` now
  into->clean = clean ? 1 : 0;
}

void give_back(Block* b) noexcept {
  // Insert in address order.
  Block* prev = nullptr;
  Block* next = g_arena.free_head;
  while (next != nullptr && next < b) {
    prev = next;
    next = next->next_free;
  }
  auto* start = reinterpret_cast<std::byte*>(b);
  if (next != nullptr && start + b->bytes == reinterpret_cast<std::byte*>(next)) {
    Block* after = next->next_free;
    unlink_free(next);
    absorb(b, next);
    next = after;
  }
  if (prev != nullptr && reinterpret_cast<std::byte*>(prev) + prev->bytes == start) {
    absorb(prev, b);
    b = prev;
    start = reinterpret_cast<std::byte*>(b);
  } else {
    b->free = 1;
    b->prev_free = prev;
    b->next_free = next;
    if (prev != nullptr) {
      prev->next_free = b;
    } else {
      g_arena.free_head = b;
    }
    if (next != nullptr) {
      next->prev_free = b;
    }
  }
  // Small blocks stay resident, free for the next allocation (a program that allocates
  // and frees a buffer every iteration must not pay page faults every time).
  if (b->bytes < k_release_bytes) {
    return;
  }
  if (start + b->bytes == g_arena.base + g_arena.top) {
    // The highest block: the top comes down, and above the top reads zero.
    unlink_free(b);
    g_arena.top = static_cast<std::size_t>(start - g_arena.base);
    const std::size_t bytes = b->bytes;
    std::memset(static_cast<void*>(b), 0, k_header);
    release(start, bytes);
    return;
  }
  if (b->clean == 0) {
    release(start + k_page, b->bytes - k_page);
    std::memset(start + k_header, 0, k_page - k_header);
    b->clean = 1;
  }
}

// `bytes` aligned to `align` (a power of two) from the arena; nullptr if it cannot.
void* arena_alloc(std::size_t bytes, std::size_t align, bool zero) noexcept {
  if (align < 16) {
    align = 16;
  }
  const std::size_t lead = align <= k_header ? k_header : align;
  const std::size_t extra = align > k_page ? align : 0;
  if (bytes > g_arena.reserve) {
    return nullptr;
  }
  Block* b = take(round_up(lead + extra + bytes, k_page));
  if (b == nullptr) {
    return nullptr;
  }
  auto* start = reinterpret_cast<std::byte*>(b);
  const auto address = reinterpret_cast<std::uintptr_t>(start + lead);
  std::byte* user = start + lead + (round_up(address, align) - address);
  auto* tag = reinterpret_cast<Tag*>(user - sizeof(Tag));
  tag->block = b;
  tag->magic = k_tag_magic;
  if (zero && b->clean == 0) {
    std::memset(user, 0, bytes);
  }
  b->clean = 0;
  return user;
}

Block* block_of(void* p) noexcept {
  auto* tag = reinterpret_cast<Tag*>(static_cast<std::byte*>(p) - sizeof(Tag));
  if (tag->magic != k_tag_magic || tag->block->magic != k_block_magic || tag->block->free != 0) {
    return nullptr;
  }
  return tag->block;
}

std::size_t usable(void* p, const Block* b) noexcept {
  return b->bytes - static_cast<std::size_t>(static_cast<std::byte*>(p) -
                                             reinterpret_cast<const std::byte*>(b));
}

void arena_free(void* p) noexcept {
  const Lock lock;
  Block* b = block_of(p);
  if (b == nullptr) {
    static const char k_message[] = "ftmpi: free() of a pointer the arena did not hand out\n";
    (void)!::write(2, k_message, sizeof k_message - 1);
    std::abort();
  }
  reinterpret_cast<Tag*>(static_cast<std::byte*>(p) - sizeof(Tag))->magic = 0;
  give_back(b);
}

void* large(std::size_t bytes, std::size_t align, bool zero) noexcept {
  const Lock lock;
  if (!ready() || bytes < g_arena.min_bytes) {
    return nullptr;
  }
  return arena_alloc(bytes, align, zero);
}

bool is_large(std::size_t bytes) noexcept {
  // Before the arena is decided, any size might be: ask (under the lock) once.
  return bytes >= g_arena.min_bytes && g_arena.state.load(std::memory_order_relaxed) >= 0;
}

}  // namespace

// The parameters are named here, not in glibc's declarations.
// NOLINTBEGIN(readability-inconsistent-declaration-parameter-name)
extern "C" {

FTMPI_ARENA_API void* malloc(std::size_t bytes) {
  if (is_large(bytes)) {
    if (void* p = large(bytes, 16, false)) {
      return p;
    }
  }
  return __libc_malloc(bytes);
}

FTMPI_ARENA_API void free(void* p) {
  if (p == nullptr) {
    return;
  }
  if (in_arena(p)) {
    arena_free(p);
    return;
  }
  __libc_free(p);
}

FTMPI_ARENA_API void* calloc(std::size_t n, std::size_t bytes) {
  std::size_t total = 0;
  if (__builtin_mul_overflow(n, bytes, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (is_large(total)) {
    if (void* p = large(total, 16, true)) {
      return p;
    }
  }
  return __libc_calloc(n, bytes);
}

FTMPI_ARENA_API void* realloc(void* p, std::size_t bytes) {
  if (p == nullptr) {
    return malloc(bytes);
  }
  if (!in_arena(p)) {
    return __libc_realloc(p, bytes);
  }
  if (bytes == 0) {
    arena_free(p);
    return nullptr;
  }
  std::size_t old = 0;
  {
    const Lock lock;
    const Block* b = block_of(p);
    old = b != nullptr ? usable(p, b) : 0;
  }
  if (bytes <= old) {
    return p;
  }
  void* moved = malloc(bytes);
  if (moved == nullptr) {
    return nullptr;
  }
  std::memcpy(moved, p, old);
  arena_free(p);
  return moved;
}

FTMPI_ARENA_API void* memalign(std::size_t align, std::size_t bytes) {
  if (align == 0 || (align & (align - 1)) != 0) {
    errno = EINVAL;
    return nullptr;
  }
  if (is_large(bytes)) {
    if (void* p = large(bytes, align, false)) {
      return p;
    }
  }
  return __libc_memalign(align, bytes);
}

FTMPI_ARENA_API void* aligned_alloc(std::size_t align, std::size_t bytes) {
  return memalign(align, bytes);
}

FTMPI_ARENA_API int posix_memalign(void** out, std::size_t align, std::size_t bytes) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) {
    return EINVAL;
  }
  void* p = memalign(align, bytes);
  if (p == nullptr) {
    return ENOMEM;
  }
  *out = p;
  return 0;
}

FTMPI_ARENA_API void* valloc(std::size_t bytes) {
  return memalign(k_page, bytes);
}

FTMPI_ARENA_API void* pvalloc(std::size_t bytes) {
  return memalign(k_page, round_up(bytes == 0 ? 1 : bytes, k_page));
}

FTMPI_ARENA_API std::size_t malloc_usable_size(void* p) {
  if (p == nullptr) {
    return 0;
  }
  if (in_arena(p)) {
    const Lock lock;
    const Block* b = block_of(p);
    return b != nullptr ? usable(p, b) : 0;
  }
  using UsableSize = std::size_t (*)(void*);
  static const auto next = reinterpret_cast<UsableSize>(::dlsym(RTLD_NEXT, "malloc_usable_size"));
  return next != nullptr ? next(p) : 0;
}

// --- The swap of a migration's arena made ready beforehand (arena.h) ----------------

namespace {

ftmpi_arena_swap* g_swap = nullptr;
std::int32_t* g_swap_signal_out = nullptr;
std::atomic<int> g_swap_signal{0};

std::uint32_t swap_state() noexcept {
  return __atomic_load_n(&g_swap->state, __ATOMIC_ACQUIRE);
}

void set_swap_state(std::uint32_t state) noexcept {
  __atomic_store_n(&g_swap->state, state, __ATOMIC_RELEASE);
  ::syscall(SYS_futex, &g_swap->state, FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// Runs before the restored process goes on (the signal is pending when it is continued):
// nothing of the application runs until the arena holds its data.  Only system calls.
void on_swap_signal(int /*signal*/) noexcept {
  const int saved_errno = errno;
  if (g_swap != nullptr && swap_state() == FTMPI_ARENA_SWAP_GIVEN) {
    const int fd = ::open(g_swap->path, O_RDWR | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 &&
        static_cast<std::size_t>(st.st_size) == g_arena.reserve) {
      // From here the arena is half replaced if anything fails: this process must not
      // go on (its job goes back to a checkpoint).
      if (::mmap(g_arena.base, g_arena.reserve, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0) == MAP_FAILED ||
          ::dup3(fd, g_arena.fd, O_CLOEXEC) < 0) {
        ::_exit(70);
      }
      ::close(fd);
      set_swap_state(FTMPI_ARENA_SWAP_DONE);
    } else {
      if (fd >= 0) {
        ::close(fd);
      }
      // Nothing changed: the proxy fills the arena as it is while the application waits
      // here, 10 minutes at most (a proxy gone meanwhile: the job is over for it).
      set_swap_state(FTMPI_ARENA_SWAP_FAILED);
      const timespec ms{0, 1000000};
      for (int waited = 0; swap_state() != FTMPI_ARENA_SWAP_GO; ++waited) {
        if (waited > 600000) {
          ::_exit(70);
        }
        ::nanosleep(&ms, nullptr);
      }
    }
  }
  errno = saved_errno;
}

// The application sets the swap signal's disposition: ftmpi leaves it alone from then on.
void give_up_swap_signal(int signal) noexcept {
  if (signal != 0 && g_swap_signal.load() == signal) {
    g_swap_signal.store(0);
    if (g_swap_signal_out != nullptr) {
      __atomic_store_n(g_swap_signal_out, 0, __ATOMIC_RELEASE);
    }
  }
}

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
using SignalFn = sighandler_t (*)(int, sighandler_t);

// The C library's functions, looked up when this library is loaded (not in a signal
// handler that calls one first); a call before that (another library's constructor)
// looks them up itself.
std::atomic<SigactionFn> g_sigaction{nullptr};
std::atomic<SignalFn> g_signal{nullptr};
std::atomic<SignalFn> g_sysv_signal{nullptr};
std::atomic<SignalFn> g_bsd_signal{nullptr};
std::atomic<SignalFn> g_sigset{nullptr};

SigactionFn next_sigaction() noexcept {
  SigactionFn fn = g_sigaction.load(std::memory_order_relaxed);
  if (fn == nullptr) {
    fn = reinterpret_cast<SigactionFn>(::dlsym(RTLD_NEXT, "sigaction"));
    g_sigaction.store(fn, std::memory_order_relaxed);
  }
  return fn;
}

SignalFn next_signal_function(std::atomic<SignalFn>& slot, const char* name) noexcept {
  SignalFn fn = slot.load(std::memory_order_relaxed);
  if (fn == nullptr) {
    fn = reinterpret_cast<SignalFn>(::dlsym(RTLD_NEXT, name));
    slot.store(fn, std::memory_order_relaxed);
  }
  return fn;
}

[[gnu::constructor]] void look_up_signal_functions() noexcept {
  (void)next_sigaction();
  (void)next_signal_function(g_signal, "signal");
  (void)next_signal_function(g_sysv_signal, "sysv_signal");
  (void)next_signal_function(g_bsd_signal, "bsd_signal");
  (void)next_signal_function(g_sigset, "sigset");
}

// One of the signal() family: ftmpi lets go of the signal, then the C library's.
sighandler_t set_handler(std::atomic<SignalFn>& slot, const char* name, int signal,
                         sighandler_t handler) noexcept {
  give_up_swap_signal(signal);
  const SignalFn next = next_signal_function(slot, name);
  if (next == nullptr) {
    errno = ENOSYS;
    return SIG_ERR;
  }
  return next(signal, handler);
}

}  // namespace

FTMPI_ARENA_API int sigaction(int signal, const struct sigaction* action, struct sigaction* old) {
  if (action != nullptr) {
    give_up_swap_signal(signal);
  }
  const SigactionFn next = next_sigaction();
  if (next == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return next(signal, action, old);
}

FTMPI_ARENA_API sighandler_t signal(int signal, sighandler_t handler) {
  return set_handler(g_signal, "signal", signal, handler);
}

// What strict C (`-std=c11`) programs get for signal(), and its older relatives.
// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming): glibc's name
FTMPI_ARENA_API sighandler_t __sysv_signal(int signal, sighandler_t handler) {
  return set_handler(g_sysv_signal, "__sysv_signal", signal, handler);
}

FTMPI_ARENA_API sighandler_t sysv_signal(int signal, sighandler_t handler) {
  return set_handler(g_sysv_signal, "sysv_signal", signal, handler);
}

FTMPI_ARENA_API sighandler_t bsd_signal(int signal, sighandler_t handler) {
  return set_handler(g_bsd_signal, "bsd_signal", signal, handler);
}

FTMPI_ARENA_API sighandler_t sigset(int signal, sighandler_t handler) {
  return set_handler(g_sigset, "sigset", signal, handler);
}

FTMPI_ARENA_API int ftmpi_arena_swap_on_signal(ftmpi_arena_swap* swap, std::int32_t* signal) {
  *signal = 0;
  {
    const Lock lock;
    if (!ready()) {
      return 0;
    }
  }
  const char* wanted = std::getenv("FTMPI_ARENA_SWAP");  // NOLINT(concurrency-mt-unsafe)
  if (wanted != nullptr && std::strcmp(wanted, "0") == 0) {
    return 0;
  }
  const int chosen = SIGRTMAX - 3;
  struct sigaction old {};
  const SigactionFn next = next_sigaction();
  if (next == nullptr || next(chosen, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) {
    return 0;  // the application's
  }
  g_swap = swap;
  g_swap_signal_out = signal;
  struct sigaction action {};
  action.sa_handler = &on_swap_signal;
  sigfillset(&action.sa_mask);  // no handler of the application's runs inside it
  action.sa_flags = SA_RESTART;
  if (next(chosen, &action, nullptr) != 0) {
    return 0;
  }
  g_swap_signal.store(chosen);
  *signal = chosen;
  return chosen;
}

FTMPI_ARENA_API int ftmpi_arena_describe(int* fd, std::uint64_t* base, std::uint64_t* bytes) {
  const Lock lock;
  if (!ready()) {
    return 0;
  }
  *fd = g_arena.fd;
  *base = reinterpret_cast<std::uintptr_t>(g_arena.base);
  *bytes = g_arena.reserve;
  return 1;
}

}  // extern "C"
// NOLINTEND(readability-inconsistent-declaration-parameter-name)
