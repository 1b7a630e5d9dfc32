// An arena image (arena.img, docs/checkpoint-format.md): the contents of an
// application's arena (the sparse memfd libftmpi-arena keeps its heap in) as a
// migration's pre-copy wrote it, a piece at a time while the application ran, then
// what changed since at the final dump.  Its records are applied in order at the
// restore, so a later one wins:
//
//   header  "FTMPIAR1" (8 bytes), the arena's size (u64)
//   record  offset (u64), length (u64), then `length` bytes of data; a length with the
//           top bit set is a hole (zeros, no data follows)
//
// Integers are little-endian (the machine's: images move between nodes of one cluster).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/write_tracker.hpp"
#include "util/status.hpp"

namespace ftmpi {

inline constexpr const char* k_arena_image_file = "arena.img";

class ArenaImageWriter {
 public:
  ArenaImageWriter() = default;
  ArenaImageWriter(const ArenaImageWriter&) = delete;
  ArenaImageWriter& operator=(const ArenaImageWriter&) = delete;
  ArenaImageWriter(ArenaImageWriter&& other) noexcept;
  ArenaImageWriter& operator=(ArenaImageWriter&& other) noexcept;
  ~ArenaImageWriter();

  // A new image at `path` (replacing any) of an arena of `arena_bytes`.
  static Result<ArenaImageWriter> create(const std::string& path, std::uint64_t arena_bytes);
  // Data of `memfd` (read with its file offsets): every range in `ranges` (all of its
  // data: file_extents below).  Holes inside `ranges` are copied as the zeros they read.
  Status copy(int memfd, const std::vector<ByteRange>& ranges);
  // A hole record for every hole of `memfd` now.
  Status copy_holes(int memfd);
  // Flushes and closes; the image is complete.
  Status close();

  [[nodiscard]] std::uint64_t data_bytes() const noexcept { return m_data_bytes; }

 private:
  Status record(int memfd, std::uint64_t offset, std::uint64_t length);
  Status hole(std::uint64_t offset, std::uint64_t length);
  int m_fd = -1;
  std::string m_path;
  std::uint64_t m_arena_bytes = 0;
  std::uint64_t m_data_bytes = 0;
};

// The data extents of the first `size` bytes of file `fd` (SEEK_DATA/SEEK_HOLE), or
// its holes.  May throw std::bad_alloc.
std::vector<ByteRange> file_extents(int fd, std::uint64_t size, bool holes);

// Applies the image at `path` to `memfd` (the restored application's arena, of the
// size the image names).  A truncated or foreign image is an error (corrupt).
Status load_arena_image(const std::string& path, int memfd);

// An image followed while it is written (a migration's pre-copy, read on the node the
// rank moves to before the downtime): its records applied, as they become whole, to an
// arena of this process's own (a memfd named as libftmpi-arena names its arena), so that
// at the restore only the records written last remain to apply.
class ArenaImageFollower;

// Why the handler of signal `signal` (libftmpi-arena's swap, arena.h) in the stopped
// application `pid`, its arena at `arena_base`, `arena_bytes` long, could not be the
// first of it to run, and on a stack of its own, when it is continued; empty when it
// can.  Another thread could touch the arena first; a signal pending, or a handler for
// SIGCONT, runs the application's own handler first; a stack inside the arena (a
// coroutine's, say) is replaced under the handler.
std::string why_not_handed_over(pid_t pid, int signal, std::uint64_t arena_base,
                                std::uint64_t arena_bytes) noexcept;

class ArenaImageFollower {
 public:
  ArenaImageFollower() = default;
  ArenaImageFollower(const ArenaImageFollower&) = delete;
  ArenaImageFollower& operator=(const ArenaImageFollower&) = delete;
  ArenaImageFollower(ArenaImageFollower&& other) noexcept;
  ArenaImageFollower& operator=(ArenaImageFollower&& other) noexcept;
  ~ArenaImageFollower();

  // The image being written at `path` (its header there), and an empty arena of the size
  // it names.
  static Result<ArenaImageFollower> open(const std::string& path);
  // The records whole by now applied.  An image replaced at the path (a new copy) or cut
  // short is followed again from its start.
  Status follow();
  // The image, complete, is now at `path` (moved there): the rest applied.  An error if it
  // is not the file followed or ends inside a record.
  Status finish(const std::string& path);

  [[nodiscard]] int memfd() const noexcept { return m_memfd; }
  [[nodiscard]] int image_fd() const noexcept { return m_fd; }
  [[nodiscard]] std::uint64_t arena_bytes() const noexcept { return m_arena_bytes; }
  // How far into the image the records are applied.
  [[nodiscard]] std::uint64_t applied() const noexcept { return m_at; }

 private:
  Status start();
  void close_all() noexcept;
  int m_fd = -1;
  int m_memfd = -1;
  std::string m_path;
  std::uint64_t m_arena_bytes = 0;
  std::uint64_t m_at = 0;
};

}  // namespace ftmpi
