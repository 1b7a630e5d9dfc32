// A migration's pre-copy: the pages written since a scan (userfaultfd asynchronous write
// protection and PAGEMAP_SCAN, Linux 6.7 and later), and the arena image that carries a
// sparse memfd's contents, copied while it changes, to a fresh one.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
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

}  // namespace
