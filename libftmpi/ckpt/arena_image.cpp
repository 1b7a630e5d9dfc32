#include "ckpt/arena_image.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace ftmpi {
namespace {

constexpr std::array<char, 8> k_magic = {'F', 'T', 'M', 'P', 'I', 'A', 'R', '1'};
constexpr std::uint64_t k_hole_bit = std::uint64_t{1} << 63;

// All `length` bytes through `io` (read or write), again after a signal.
template <typename Io, typename Byte>
bool all_of(Io io, Byte* p, std::size_t length) {
  while (length > 0) {
    const ssize_t n = io(p, length);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    length -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, const void* data, std::size_t length) {
  return all_of([fd](const char* p, std::size_t n) { return ::write(fd, p, n); },
                static_cast<const char*>(data), length);
}

bool read_all(int fd, void* data, std::size_t length) {
  return all_of([fd](char* p, std::size_t n) { return ::read(fd, p, n); }, static_cast<char*>(data),
                length);
}

// `length` bytes of `in` from `offset` to `out` at its file position, in the kernel
// (sendfile), else through a buffer.
bool send_all(int out, int in, std::uint64_t offset, std::uint64_t length) {
  auto off = static_cast<off_t>(offset);
  while (length > 0) {
    const ssize_t n = ::sendfile(out, in, &off, std::min<std::uint64_t>(length, 1U << 30));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
      break;  // a pair sendfile cannot join
    }
    if (n <= 0) {
      return false;
    }
    length -= static_cast<std::uint64_t>(n);
  }
  std::vector<char> buffer(length > 0 ? std::size_t{4} << 20 : 0);
  while (length > 0) {
    const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
    const ssize_t n = ::pread(in, buffer.data(), chunk, off);
    if (n <= 0 || !write_all(out, buffer.data(), static_cast<std::size_t>(n))) {
      return false;
    }
    off += n;
    length -= static_cast<std::uint64_t>(n);
  }
  return true;
}

}  // namespace

std::vector<ByteRange> file_extents(int fd, std::uint64_t size, bool holes) {
  std::vector<ByteRange> out;
  off_t at = 0;
  const auto end = static_cast<off_t>(size);
  while (at < end) {
    const off_t data = ::lseek(fd, at, SEEK_DATA);
    const off_t data_at = data < 0 ? end : std::min(data, end);
    if (holes && data_at > at) {
      out.emplace_back(at, data_at);
    }
    if (data_at >= end) {
      break;
    }
    const off_t hole = ::lseek(fd, data_at, SEEK_HOLE);
    const off_t hole_at = hole < 0 ? end : std::min(hole, end);
    if (!holes) {
      out.emplace_back(data_at, hole_at);
    }
    at = hole_at;
  }
  return out;
}

ArenaImageWriter::ArenaImageWriter(ArenaImageWriter&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_path(std::move(other.m_path)),
      m_arena_bytes(other.m_arena_bytes),
      m_data_bytes(other.m_data_bytes) {}

ArenaImageWriter& ArenaImageWriter::operator=(ArenaImageWriter&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
    m_path = std::move(other.m_path);
    m_arena_bytes = other.m_arena_bytes;
    m_data_bytes = other.m_data_bytes;
  }
  return *this;
}

ArenaImageWriter::~ArenaImageWriter() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

Result<ArenaImageWriter> ArenaImageWriter::create(const std::string& path,
                                                  std::uint64_t arena_bytes) {
  ArenaImageWriter w;
  w.m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (w.m_fd < 0) {
    return errno_status("cannot create " + path, errno);
  }
  w.m_path = path;
  w.m_arena_bytes = arena_bytes;
  if (!write_all(w.m_fd, k_magic.data(), k_magic.size()) ||
      !write_all(w.m_fd, &arena_bytes, sizeof arena_bytes)) {
    return errno_status("cannot write " + path, errno);
  }
  return w;
}

Status ArenaImageWriter::record(int memfd, std::uint64_t offset, std::uint64_t length) {
  const std::uint64_t header[2] = {offset, length};
  if (!write_all(m_fd, header, sizeof header) || !send_all(m_fd, memfd, offset, length)) {
    return errno_status(fmt::format("cannot write {}", m_path), errno);
  }
  m_data_bytes += length;
  return {};
}

Status ArenaImageWriter::hole(std::uint64_t offset, std::uint64_t length) {
  const std::uint64_t header[2] = {offset, length | k_hole_bit};
  if (!write_all(m_fd, header, sizeof header)) {
    return errno_status(fmt::format("cannot write {}", m_path), errno);
  }
  return {};
}

Status ArenaImageWriter::copy(int memfd, const std::vector<ByteRange>& ranges) {
  for (const ByteRange& r : ranges) {
    const std::uint64_t end = std::min(r.second, m_arena_bytes);
    if (r.first < end) {
      if (Status s = record(memfd, r.first, end - r.first); !s.ok()) {
        return s;
      }
    }
  }
  return {};
}

Status ArenaImageWriter::copy_holes(int memfd) {
  try {
    for (const ByteRange& h : file_extents(memfd, m_arena_bytes, true)) {
      if (Status s = hole(h.first, h.second - h.first); !s.ok()) {
        return s;
      }
    }
    return {};
  } catch (...) {
    return internal_error("out of memory listing the arena's holes");
  }
}

Status ArenaImageWriter::close() {
  const int fd = std::exchange(m_fd, -1);
  if (fd >= 0 && ::close(fd) != 0) {
    return errno_status("cannot write " + m_path, errno);
  }
  return {};
}

Status load_arena_image(const std::string& path, int memfd) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno_status("cannot open " + path, errno);
  }
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::array<char, 8> magic{};
  std::uint64_t arena_bytes = 0;
  struct stat arena {};
  Status result;
  if (!read_all(fd, magic.data(), magic.size()) || magic != k_magic ||
      !read_all(fd, &arena_bytes, sizeof arena_bytes)) {
    result = corrupt(fmt::format("{} is not an arena image", path));
  } else if (::fstat(memfd, &arena) != 0 ||
             static_cast<std::uint64_t>(arena.st_size) != arena_bytes) {
    result =
        corrupt(fmt::format("{} is the image of an arena of {} bytes, the application's has {}",
                            path, arena_bytes, static_cast<std::uint64_t>(arena.st_size)));
  }
  std::uint64_t at = magic.size() + sizeof arena_bytes;
  while (result.ok() && at < size) {
    std::uint64_t header[2] = {0, 0};
    if (!read_all(fd, header, sizeof header)) {
      result = corrupt(fmt::format("{} ends inside a record", path));
      break;
    }
    at += sizeof header;
    const bool is_hole = (header[1] & k_hole_bit) != 0;
    const std::uint64_t offset = header[0];
    const std::uint64_t length = header[1] & ~k_hole_bit;
    if (offset > arena_bytes || length > arena_bytes - offset || (!is_hole && length > size - at)) {
      result = corrupt(fmt::format("{} holds a record outside the arena or the file", path));
    } else if (is_hole) {
      if (::fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                      static_cast<off_t>(length)) != 0) {
        result = errno_status("cannot clear part of the arena", errno);
      }
    } else if (::lseek(memfd, static_cast<off_t>(offset), SEEK_SET) < 0 ||
               !send_all(memfd, fd, at, length)) {
      result = errno_status(fmt::format("cannot load {} into the arena", path), errno);
    } else {
      at += length;
      ::lseek(fd, static_cast<off_t>(at), SEEK_SET);
    }
  }
  ::close(fd);
  return result;
}

}  // namespace ftmpi
