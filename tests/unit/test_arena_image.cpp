// A migration's pre-copy: the pages written since a scan (userfaultfd asynchronous write
// protection and PAGEMAP_SCAN, Linux 6.7 and later), and the arena image that carries a
// sparse memfd's contents, copied while it changes, to a fresh one.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "ckpt/arena_image.hpp"
#include "ckpt/write_tracker.hpp"

namespace {

const std::uint64_t k_page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));

int make_memfd(std::uint64_t bytes) {
  const int fd = ::memfd_create("ftmpi-arena-test", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(bytes)), 0);
  return fd;
}

std::string contents(int fd, std::uint64_t bytes) {
  std::string s(bytes, '\0');
  EXPECT_EQ(::pread(fd, s.data(), bytes, 0), static_cast<ssize_t>(bytes));
  return s;
}

TEST(WriteTracker, ListsThePagesWrittenSinceTheLastScan) {
  const std::uint64_t bytes = 64 * k_page;
  const int memfd = make_memfd(bytes);
  auto* base =
      static_cast<char*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0));
  ASSERT_NE(base, MAP_FAILED);
  base[0] = 1;  // a page populated before the tracking starts, one not
  const int uffd = ftmpi::track_writes(base, bytes);
  ASSERT_GE(uffd, 0) << "userfaultfd write tracking (Linux 6.7 or later): " << std::strerror(-uffd);
  const int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(pagemap, 0);
  const auto at = reinterpret_cast<std::uintptr_t>(base);
  std::vector<ftmpi::ByteRange> written;
  ASSERT_TRUE(ftmpi::scan_written(pagemap, at, bytes, written).ok());  // starts the tracking
  written.clear();
  ASSERT_TRUE(ftmpi::scan_written(pagemap, at, bytes, written).ok());
  EXPECT_TRUE(written.empty());
  base[3 * k_page + 5] = 7;  // populated by this write
  base[0] = 2;
  std::memset(base + 10 * k_page, 9, 3 * k_page);
  volatile char read = base[20 * k_page];  // a read is no write
  (void)read;
  ASSERT_TRUE(ftmpi::scan_written(pagemap, at, bytes, written).ok());
  ftmpi::merge_ranges(written);
  const std::vector<ftmpi::ByteRange> expected{
      {0, k_page}, {3 * k_page, 4 * k_page}, {10 * k_page, 13 * k_page}};
  EXPECT_EQ(written, expected);
  written.clear();
  ASSERT_TRUE(ftmpi::scan_written(pagemap, at, bytes, written).ok());
  EXPECT_TRUE(written.empty()) << "protected again by the scan";
  // A second tracker on the same range is refused while the first is open.
  EXPECT_EQ(ftmpi::track_writes(base, bytes), -EBUSY);
  ::close(uffd);
  ::close(pagemap);
  ::munmap(base, bytes);
  ::close(memfd);
}

TEST(MergeRanges, JoinsOverlappingAndTouchingRanges) {
  std::vector<ftmpi::ByteRange> r{{10, 20}, {0, 5}, {20, 30}, {25, 27}, {40, 41}};
  ftmpi::merge_ranges(r);
  const std::vector<ftmpi::ByteRange> expected{{0, 5}, {10, 30}, {40, 41}};
  EXPECT_EQ(r, expected);
}

TEST(ArenaImage, CarriesASparseArenaCopiedWhileItChanged) {
  const std::uint64_t bytes = 256 * k_page;
  const int source = make_memfd(bytes);
  std::string page(k_page, 'a');
  for (std::uint64_t p : {0, 1, 2, 3, 100, 101, 102}) {
    page.assign(k_page, static_cast<char>('a' + p % 26));
    ASSERT_EQ(::pwrite(source, page.data(), k_page, static_cast<off_t>(p * k_page)),
              static_cast<ssize_t>(k_page));
  }
  const std::string path = (std::filesystem::current_path() / "arena.img").string();
  auto writer = ftmpi::ArenaImageWriter::create(path, bytes);
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  ASSERT_TRUE(writer.value().copy(source, ftmpi::file_extents(source, bytes, false)).ok());
  EXPECT_EQ(writer.value().data_bytes(), 7 * k_page) << "holes are not copied";
  // Changes after the copy: one page rewritten, one freed (a hole again), one new.
  page.assign(k_page, 'X');
  ASSERT_EQ(::pwrite(source, page.data(), k_page, static_cast<off_t>(k_page)),
            static_cast<ssize_t>(k_page));
  ASSERT_EQ(::fallocate(source, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        static_cast<off_t>(101 * k_page), static_cast<off_t>(k_page)),
            0);
  page.assign(k_page, 'Y');
  ASSERT_EQ(::pwrite(source, page.data(), k_page, static_cast<off_t>(200 * k_page)),
            static_cast<ssize_t>(k_page));
  ASSERT_TRUE(
      writer.value().copy(source, {{k_page, 2 * k_page}, {200 * k_page, 201 * k_page}}).ok());
  ASSERT_TRUE(writer.value().copy_holes(source).ok());
  ASSERT_TRUE(writer.value().close().ok());
  // Into an arena whose pages hold something else entirely.
  const int target = make_memfd(bytes);
  const std::string garbage(bytes, 'z');
  ASSERT_EQ(::pwrite(target, garbage.data(), bytes, 0), static_cast<ssize_t>(bytes));
  const ftmpi::Status loaded = ftmpi::load_arena_image(path, target);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(contents(target, bytes), contents(source, bytes));
  // Another size of arena, a truncated image, a foreign file: refused.
  const int smaller = make_memfd(bytes / 2);
  EXPECT_EQ(ftmpi::load_arena_image(path, smaller).code(), ftmpi::StatusCode::corrupt);
  std::filesystem::resize_file(path, 16 + 16 + k_page / 2);
  EXPECT_EQ(ftmpi::load_arena_image(path, target).code(), ftmpi::StatusCode::corrupt);
  std::ofstream(path) << "not an image";
  const ftmpi::Status foreign = ftmpi::load_arena_image(path, target);
  EXPECT_EQ(foreign.code(), ftmpi::StatusCode::corrupt);
  EXPECT_NE(foreign.message().find("not an arena image"), std::string::npos);
  for (int fd : {source, target, smaller}) {
    ::close(fd);
  }
}

// The destination of a migration follows the image while the source writes it: what it
// applied before the image was complete, and the rest at the end, give the same arena
// as loading the complete image; a half-written record waits, a new copy starts over.
TEST(ArenaImageFollower, AppliesWhatIsWholeThenTheRest) {
  const std::uint64_t bytes = 64 * k_page;
  const int source = make_memfd(bytes);
  std::string page(k_page, 'a');
  for (std::uint64_t p : {0, 1, 7, 30}) {
    page.assign(k_page, static_cast<char>('a' + p));
    ASSERT_EQ(::pwrite(source, page.data(), k_page, static_cast<off_t>(p * k_page)),
              static_cast<ssize_t>(k_page));
  }
  const std::filesystem::path dir = std::filesystem::current_path();
  const std::string path = (dir / "follow.img").string();
  auto writer = ftmpi::ArenaImageWriter::create(path, bytes);
  ASSERT_TRUE(writer.ok()) << writer.status().message();
  auto follower = ftmpi::ArenaImageFollower::open(path);
  ASSERT_TRUE(follower.ok()) << follower.status().message();
  EXPECT_EQ(follower.value().arena_bytes(), bytes);
  ASSERT_TRUE(writer.value().copy(source, ftmpi::file_extents(source, bytes, false)).ok());
  ASSERT_TRUE(follower.value().follow().ok());
  EXPECT_EQ(follower.value().applied(), std::filesystem::file_size(path));
  EXPECT_EQ(contents(follower.value().memfd(), bytes), contents(source, bytes));
  // A record whose data is not all there yet is left for later.
  const std::uint64_t whole = std::filesystem::file_size(path);
  page.assign(k_page, 'Q');
  ASSERT_EQ(::pwrite(source, page.data(), k_page, static_cast<off_t>(k_page)),
            static_cast<ssize_t>(k_page));
  ASSERT_TRUE(writer.value().copy(source, {{k_page, 2 * k_page}}).ok());
  const std::uint64_t complete = std::filesystem::file_size(path);
  {
    // The same record, cut in half, in a file of its own that is followed.
    const std::string cut = (dir / "cut.img").string();
    std::filesystem::copy_file(path, cut, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(cut, whole + 16 + k_page / 2);
    auto partial = ftmpi::ArenaImageFollower::open(cut);
    ASSERT_TRUE(partial.ok());
    ASSERT_TRUE(partial.value().follow().ok());
    EXPECT_EQ(partial.value().applied(), whole);
    EXPECT_EQ(partial.value().finish(cut).code(), ftmpi::StatusCode::corrupt)
        << "a complete image must not end inside a record";
  }
  ASSERT_EQ(std::filesystem::file_size(path), complete);
  // Then a page freed, the holes recorded, the image moved where the restore finds it.
  ASSERT_EQ(::fallocate(source, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        static_cast<off_t>(7 * k_page), static_cast<off_t>(k_page)),
            0);
  ASSERT_TRUE(writer.value().copy_holes(source).ok());
  ASSERT_TRUE(writer.value().close().ok());
  const std::string final_path = (dir / "arena.img").string();
  std::filesystem::rename(path, final_path);
  ASSERT_TRUE(follower.value().follow().ok()) << "the image moved away: what is held still counts";
  const ftmpi::Status finished = follower.value().finish(final_path);
  ASSERT_TRUE(finished.ok()) << finished.message();
  EXPECT_EQ(contents(follower.value().memfd(), bytes), contents(source, bytes));
  const std::vector<ftmpi::ByteRange> data =
      ftmpi::file_extents(follower.value().memfd(), bytes, false);
  const std::vector<ftmpi::ByteRange> expected{{0, 2 * k_page}, {30 * k_page, 31 * k_page}};
  EXPECT_EQ(data, expected) << "pages 0-1 and 30 hold data; 7, freed, is a hole again";
  // Another file at the final path is not the one followed.
  std::filesystem::copy_file(final_path, dir / "other.img",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(follower.value().finish((dir / "other.img").string()).code(),
            ftmpi::StatusCode::not_found);
  // A new copy at the followed path (the pre-copy started over) is followed from its start.
  auto again = ftmpi::ArenaImageWriter::create(path, bytes);
  ASSERT_TRUE(again.ok());
  auto restarted = ftmpi::ArenaImageFollower::open(path);
  ASSERT_TRUE(restarted.ok());
  ASSERT_TRUE(again.value().copy(source, ftmpi::file_extents(source, bytes, false)).ok());
  ASSERT_TRUE(restarted.value().follow().ok());
  ::unlink(path.c_str());
  page.assign(k_page, 'R');
  ASSERT_EQ(::pwrite(source, page.data(), k_page, 0), static_cast<ssize_t>(k_page));
  auto third = ftmpi::ArenaImageWriter::create(path, bytes);
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(third.value().copy(source, ftmpi::file_extents(source, bytes, false)).ok());
  ASSERT_TRUE(third.value().copy_holes(source).ok());
  ASSERT_TRUE(third.value().close().ok());
  ASSERT_TRUE(restarted.value().follow().ok());
  ASSERT_TRUE(restarted.value().finish(path).ok());
  EXPECT_EQ(contents(restarted.value().memfd(), bytes), contents(source, bytes));
  ::close(source);
}

}  // namespace

// The hand-over of a migration's arena (arena.h's swap) asks a stopped, restored
// application whether its handler would run first and on a stack of its own.
namespace handover {

const int k_signal = SIGRTMAX - 3;  // libftmpi-arena's

void ignore_signal(int /*signal*/) {}

void handle(int signal) {
  struct sigaction sa {};
  sa.sa_handler = ignore_signal;
  ::sigaction(signal, &sa, nullptr);
}

// What why_not_handed_over says of a child that ran `setup`, then stopped as a restored
// application is stopped before its hand-over; `before` runs on the stopped child.
std::string refusal_of(const std::function<void()>& setup, std::uint64_t base = 0,
                       std::uint64_t bytes = 0, const std::function<void(pid_t)>& before = {}) {
  const pid_t child = ::fork();
  if (child == 0) {
    setup();
    ::raise(SIGSTOP);
    ::_exit(0);
  }
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, WUNTRACED), child);
  EXPECT_TRUE(WIFSTOPPED(status));
  if (before) {
    before(child);
  }
  std::string why = ftmpi::why_not_handed_over(child, k_signal, base, bytes);
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
  return why;
}

ucontext_t g_main;
ucontext_t g_coroutine;

}  // namespace handover

TEST(ArenaHandOver, OnlyWhenTheSwapHandlerRunsFirstOnAStackOfItsOwn) {
  using handover::g_coroutine;
  using handover::g_main;
  using handover::handle;
  using handover::k_signal;
  using handover::refusal_of;
  EXPECT_EQ(refusal_of([] { handle(k_signal); }), "");
  EXPECT_NE(refusal_of([] {}).find("no longer handles"), std::string::npos);
  EXPECT_NE(refusal_of([] {
              handle(k_signal);
              sigset_t set;
              sigemptyset(&set);
              sigaddset(&set, k_signal);
              ::sigprocmask(SIG_BLOCK, &set, nullptr);
            }).find("blocks"),
            std::string::npos);
  EXPECT_NE(refusal_of([] {
              handle(k_signal);
              handle(SIGCONT);
            }).find("would run first"),
            std::string::npos);
  // A signal that came while it was stopped waits for the continue, and its handler
  // would run before the swap's.
  EXPECT_NE(refusal_of(
                [] {
                  handle(k_signal);
                  handle(SIGUSR1);
                },
                0, 0, [](pid_t child) { ::kill(child, SIGUSR1); })
                .find("would run first"),
            std::string::npos);
  EXPECT_NE(refusal_of([] {
              handle(k_signal);
              std::thread([] {
                for (;;) {
                  ::pause();
                }
              }).detach();
            }).find("several threads"),
            std::string::npos);
  // A coroutine's stack inside the arena: here a mapping the child stops on.
  constexpr std::size_t k_stack = std::size_t{256} * 1024;
  void* stack =
      ::mmap(nullptr, k_stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(stack, MAP_FAILED);
  const auto base = reinterpret_cast<std::uint64_t>(stack);
  const auto on_the_stack = [stack] {
    handle(k_signal);
    ::getcontext(&g_coroutine);
    g_coroutine.uc_stack.ss_sp = stack;
    g_coroutine.uc_stack.ss_size = k_stack;
    g_coroutine.uc_link = &g_main;
    ::makecontext(
        &g_coroutine, [] { ::raise(SIGSTOP); }, 0);
    ::swapcontext(&g_main, &g_coroutine);
  };
  EXPECT_NE(refusal_of(on_the_stack, base, k_stack).find("stack inside its arena"),
            std::string::npos);
  EXPECT_EQ(refusal_of(on_the_stack, base + k_stack, k_stack), "") << "an arena elsewhere";
  ::munmap(stack, k_stack);
  EXPECT_NE(ftmpi::why_not_handed_over(::getpid(), 0, 0, 0).find("does not take it"),
            std::string::npos);
}
