// libftmpi-arena, linked into this test (so its malloc is the one called) with
// FTMPI_CHANNEL set by the test's environment, as in an application of transparent
// mode: large allocations come from the arena, small ones from the C library; what is
// freed is reused and, when large, given back; a forked child's arena is its own.
#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "arena/arena.h"

// The static analyser cannot know that this malloc reuses what free gave back, which
// is what these tests check by comparing addresses.
// NOLINTBEGIN(clang-analyzer-unix.Malloc)
namespace {

struct Arena {
  int fd = -1;
  std::uint64_t base = 0;
  std::uint64_t bytes = 0;
  [[nodiscard]] bool holds(const void* p) const {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    return a >= base && a < base + bytes;
  }
};

Arena arena() {
  Arena a;
  EXPECT_EQ(ftmpi_arena_describe(&a.fd, &a.base, &a.bytes), 1);
  return a;
}

// Kibibytes of memory the arena's memfd holds.
long arena_kib(const Arena& a) {
  struct stat st {};
  return ::fstat(a.fd, &st) == 0 ? static_cast<long>(st.st_blocks / 2) : -1;
}

// Volatile: the compiler must not pair a malloc with its free and drop both, nor see
// a use after free where the test means one.
void* (*volatile g_malloc)(std::size_t) = std::malloc;
void (*volatile g_free)(void*) = std::free;

TEST(Arena, LargeAllocationsComeFromTheArenaSmallOnesDoNot) {
  const Arena a = arena();
  ASSERT_GT(a.bytes, std::uint64_t{1} << 30);
  void* small = g_malloc(1000);
  void* large = g_malloc(1 << 20);
  EXPECT_FALSE(a.holds(small));
  EXPECT_TRUE(a.holds(large));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large) % 16, 0U);
  EXPECT_GE(malloc_usable_size(large), std::size_t{1} << 20);
  std::memset(large, 0x5a, 1 << 20);
  std::free(small);
  std::free(large);
  auto* vector = new std::vector<double>(1 << 17);
  EXPECT_TRUE(a.holds(vector->data()));  // operator new goes through malloc
  delete vector;
}

TEST(Arena, FreedBlocksAreReusedAndCoalesced) {
  void* first = g_malloc(256 << 10);
  void* second = g_malloc(256 << 10);
  void* keep = g_malloc(64 << 10);  // the top stays above the two
  const auto first_address = reinterpret_cast<std::uintptr_t>(first);
  std::free(first);
  std::free(second);
  // The two neighbours merged: a block of both sizes fits where the first was.
  void* both = g_malloc(500 << 10);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(both), first_address);
  std::free(both);
  std::free(keep);
}

TEST(Arena, CallocZeroesReusedMemory) {
  auto* dirty = static_cast<unsigned char*>(g_malloc(1 << 20));
  void* keep = g_malloc(64 << 10);
  std::memset(dirty, 0xff, 1 << 20);
  const auto dirty_address = reinterpret_cast<std::uintptr_t>(dirty);
  std::free(dirty);
  auto* zero = static_cast<unsigned char*>(std::calloc(1 << 18, 4));
  ASSERT_NE(zero, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(zero), dirty_address);
  for (std::size_t i = 0; i < (1U << 20); i += 977) {
    ASSERT_EQ(zero[i], 0) << i;
  }
  std::free(zero);
  std::free(keep);
}

TEST(Arena, ReallocKeepsTheContents) {
  auto* p = static_cast<std::uint32_t*>(g_malloc(100 << 10));
  for (std::uint32_t i = 0; i < (100U << 10) / 4; ++i) {
    p[i] = i * 2654435761U;
  }
  p = static_cast<std::uint32_t*>(std::realloc(p, 3 << 20));
  ASSERT_NE(p, nullptr);
  for (std::uint32_t i = 0; i < (100U << 10) / 4; ++i) {
    ASSERT_EQ(p[i], i * 2654435761U) << i;
  }
  const auto before = reinterpret_cast<std::uintptr_t>(p);
  p = static_cast<std::uint32_t*>(std::realloc(p, 50 << 10));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p), before);  // shrinking stays in place
  std::free(p);
}

TEST(Arena, AlignedAllocations) {
  const Arena a = arena();
  for (const std::size_t align : {64UL, 4096UL, 2UL << 20}) {
    void* p = nullptr;
    ASSERT_EQ(posix_memalign(&p, align, 300 << 10), 0);
    EXPECT_TRUE(a.holds(p));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0U) << align;
    std::memset(p, 1, 300 << 10);
    std::free(p);
  }
  void* q = aligned_alloc(4096, 1 << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q) % 4096, 0U);
  std::free(q);
  EXPECT_EQ(posix_memalign(&q, 3, 1 << 20), EINVAL);
}

TEST(Arena, RandomAllocationsNeverOverlap) {
  std::mt19937 random(7);
  struct Live {
    unsigned char* p;
    std::size_t bytes;
    unsigned char fill;
  };
  std::vector<Live> live;
  for (int step = 0; step < 1500; ++step) {
    if (!live.empty() && random() % 3 == 0) {
      const std::size_t i = random() % live.size();
      for (std::size_t k = 0; k < live[i].bytes; k += 4093) {
        ASSERT_EQ(live[i].p[k], live[i].fill) << "a block was overwritten";
      }
      std::free(live[i].p);
      live.erase(live.begin() + static_cast<long>(i));
      continue;
    }
    const std::size_t bytes = (64 << 10) + random() % (1 << 20);
    auto* p = static_cast<unsigned char*>(g_malloc(bytes));
    ASSERT_NE(p, nullptr);
    const auto fill = static_cast<unsigned char>(random());
    std::memset(p, fill, bytes);
    live.push_back({p, bytes, fill});
  }
  for (const Live& l : live) {
    for (std::size_t k = 0; k < l.bytes; k += 4093) {
      ASSERT_EQ(l.p[k], l.fill);
    }
    std::free(l.p);
  }
}

TEST(Arena, LargeFreedMemoryIsGivenBack) {
  const Arena a = arena();
  void* keep = g_malloc(64 << 10);
  const long before = arena_kib(a);
  auto* big = static_cast<unsigned char*>(g_malloc(64 << 20));
  void* top = g_malloc(64 << 10);  // not the highest block: the hole is punched inside
  std::memset(big, 3, 64 << 20);
  EXPECT_GE(arena_kib(a) - before, 60 << 10);
  std::free(big);
  EXPECT_LT(arena_kib(a) - before, 4 << 10);
  std::free(top);
  std::free(keep);
}

TEST(Arena, AForkedChildHasAPrivateCopy) {
  auto* shared = static_cast<unsigned char*>(g_malloc(1 << 20));
  std::memset(shared, 1, 1 << 20);
  const pid_t child = ::fork();
  if (child == 0) {
    bool ok = shared[4096] == 1;
    std::memset(shared, 2, 1 << 20);  // the parent must not see this
    void* more = g_malloc(1 << 20);   // nor have this block handed to it
    std::memset(more, 9, 1 << 20);
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(shared[4096], 1);
  auto* next = static_cast<unsigned char*>(g_malloc(1 << 20));
  std::memset(next, 4, 1 << 20);
  EXPECT_EQ(shared[100], 1);
  std::free(next);
  std::free(shared);
}

TEST(Arena, ADoubleFreeStopsTheProgram) {
  EXPECT_DEATH(
      {
        void* p = g_malloc(1 << 20);
        g_free(p);
        g_free(p);
      },
      "free\\(\\) of a pointer the arena did not hand out");
}

// A migration's arena made ready elsewhere (arena.h): the handler of the swap signal maps
// that memfd over the arena and takes its descriptor's place; when it cannot open it, it
// says so and waits for the proxy's "go"; an application that sets the signal's
// disposition itself takes the signal back from ftmpi.  One test: the steps change the
// process's arena in order.
TEST(Arena, TheSwapSignalReplacesTheArenaUnlessTheApplicationTakesIt) {
  const Arena a = arena();
  ftmpi_arena_swap swap{};
  std::int32_t signal_out = -1;
  const int signal = ftmpi_arena_swap_on_signal(&swap, &signal_out);
  ASSERT_EQ(signal, SIGRTMAX - 3);
  EXPECT_EQ(signal_out, signal);
  auto* block = static_cast<char*>(g_malloc(1 << 20));
  ASSERT_TRUE(a.holds(block));
  std::memset(block, 'o', 1 << 20);
  // The replacement: the arena's data copied, the block's changed.
  const int ready = ::memfd_create("ftmpi-arena", MFD_CLOEXEC);
  ASSERT_EQ(::ftruncate(ready, static_cast<off_t>(a.bytes)), 0);
  std::vector<char> buffer(1 << 20);
  for (off_t at = 0;;) {
    const off_t data = ::lseek(a.fd, at, SEEK_DATA);
    if (data < 0) {
      break;
    }
    const off_t hole = ::lseek(a.fd, data, SEEK_HOLE);
    for (off_t p = data; p < hole;) {
      const auto n = static_cast<std::size_t>(std::min<off_t>(hole - p, 1 << 20));
      ASSERT_EQ(::pread(a.fd, buffer.data(), n, p), static_cast<ssize_t>(n));
      ASSERT_EQ(::pwrite(ready, buffer.data(), n, p), static_cast<ssize_t>(n));
      p += static_cast<off_t>(n);
    }
    at = hole;
  }
  const auto offset = static_cast<off_t>(reinterpret_cast<std::uintptr_t>(block) - a.base);
  std::memset(buffer.data(), 'N', 1 << 20);
  ASSERT_EQ(::pwrite(ready, buffer.data(), 1 << 20, offset), 1 << 20);
  std::snprintf(swap.path, sizeof swap.path, "/proc/self/fd/%d", ready);
  __atomic_store_n(&swap.state, FTMPI_ARENA_SWAP_GIVEN, __ATOMIC_RELEASE);
  ASSERT_EQ(::raise(signal), 0);
  EXPECT_EQ(__atomic_load_n(&swap.state, __ATOMIC_ACQUIRE), FTMPI_ARENA_SWAP_DONE);
  EXPECT_EQ(block[0], 'N');
  EXPECT_EQ(block[(1 << 20) - 1], 'N');
  struct stat now {};
  struct stat want {};
  ASSERT_EQ(::fstat(a.fd, &now), 0);
  ASSERT_EQ(::fstat(ready, &want), 0);
  EXPECT_EQ(now.st_ino, want.st_ino) << "the arena's descriptor is the new memfd's";
  ::close(ready);
  // Allocations go on in the new arena.
  std::memset(block, 'x', 1 << 20);
  g_free(block);
  void* again = g_malloc(1 << 20);
  EXPECT_TRUE(a.holds(again));
  g_free(again);

  // Not there: FAILED, and the handler returns only once told to go.
  std::snprintf(swap.path, sizeof swap.path, "/proc/self/fd/%d", 999999);
  __atomic_store_n(&swap.state, FTMPI_ARENA_SWAP_GIVEN, __ATOMIC_RELEASE);
  std::atomic<bool> saw_failed{false};
  std::thread proxy([&] {
    while (__atomic_load_n(&swap.state, __ATOMIC_ACQUIRE) != FTMPI_ARENA_SWAP_FAILED) {
      ::usleep(1000);
    }
    saw_failed = true;
    ::usleep(50000);
    __atomic_store_n(&swap.state, FTMPI_ARENA_SWAP_GO, __ATOMIC_RELEASE);
  });
  ASSERT_EQ(::raise(signal), 0);
  proxy.join();
  EXPECT_TRUE(saw_failed.load());
  EXPECT_EQ(__atomic_load_n(&swap.state, __ATOMIC_ACQUIRE), FTMPI_ARENA_SWAP_GO);

  // Another signal given, or none: nothing happens.
  ASSERT_EQ(::raise(signal), 0);
  EXPECT_EQ(__atomic_load_n(&swap.state, __ATOMIC_ACQUIRE), FTMPI_ARENA_SWAP_GO);

  // The application's own handler for it: ftmpi lets go (signal() or sigaction()).
  struct sigaction own {};
  own.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGRTMAX - 4, &own, nullptr), 0);
  EXPECT_EQ(signal_out, signal) << "another signal is not ftmpi's";
  ASSERT_EQ(::sigaction(signal, nullptr, &own), 0);
  EXPECT_EQ(signal_out, signal) << "only looking is not setting";
  ASSERT_NE(std::signal(signal, SIG_IGN), SIG_ERR);
  EXPECT_EQ(signal_out, 0);
}

}  // namespace
// NOLINTEND(clang-analyzer-unix.Malloc)
