#include "ckpt/arena_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "util/files.hpp"

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

// why_not_handed_over, which catches what this throws (a /proc file not as expected).
std::string signal_state_refusal(pid_t pid, int signal, std::uint64_t arena_base,
                                 std::uint64_t arena_bytes) {
  if (signal <= 0 || signal > 64) {
    return "the application does not take it (FTMPI_ARENA_SWAP=0, or it handles SIGRTMAX-3 "
           "itself)";
  }
  std::error_code ec;
  int tasks = 0;
  for (const auto& task : ftmpi::directory_entries(fmt::format("/proc/{}/task", pid), ec)) {
    (void)task;
    ++tasks;
  }
  if (ec || tasks != 1) {
    return "the application has several threads";
  }
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::uint64_t blocked = ~std::uint64_t{0};
  std::uint64_t ignored = ~std::uint64_t{0};
  std::uint64_t caught = 0;
  std::uint64_t pending = ~std::uint64_t{0};
  std::uint64_t shared_pending = ~std::uint64_t{0};
  for (std::string line; std::getline(in, line);) {
    const auto mask = [&line] { return std::stoull(line.substr(line.find(':') + 1), nullptr, 16); };
    if (line.rfind("SigBlk:", 0) == 0) {
      blocked = mask();
    } else if (line.rfind("SigIgn:", 0) == 0) {
      ignored = mask();
    } else if (line.rfind("SigCgt:", 0) == 0) {
      caught = mask();
    } else if (line.rfind("SigPnd:", 0) == 0) {
      pending = mask();
    } else if (line.rfind("ShdPnd:", 0) == 0) {
      shared_pending = mask();
    }
  }
  const auto bit = [](int s) { return std::uint64_t{1} << (s - 1); };
  if ((caught & bit(signal)) == 0 || (blocked & bit(signal)) != 0 || (ignored & bit(signal)) != 0) {
    return "the application blocks, ignores or no longer handles SIGRTMAX-3";
  }
  if ((pending | shared_pending) != 0 || (caught & bit(SIGCONT)) != 0) {
    return "a handler of the application's would run first";
  }
  // The stopped thread's stack pointer: the second last word of /proc/PID/syscall.
  std::ifstream syscall(fmt::format("/proc/{}/syscall", pid));
  std::vector<std::string> words;
  for (std::string w; syscall >> w;) {
    words.push_back(w);
  }
  if (words.size() < 3) {
    return "its stack pointer cannot be read";
  }
  const std::uint64_t sp = std::stoull(words[words.size() - 2], nullptr, 16);
  if (sp >= arena_base && sp - arena_base < arena_bytes) {
    return "the application runs on a stack inside its arena";
  }
  return {};
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

namespace {

constexpr std::uint64_t k_header_bytes = k_magic.size() + sizeof(std::uint64_t);

// The arena's size an image at `path` (open as `fd`) names, after checking its magic.
Result<std::uint64_t> read_header(int fd, const std::string& path) {
  std::array<char, 8> magic{};
  std::uint64_t arena_bytes = 0;
  if (::pread(fd, magic.data(), magic.size(), 0) != static_cast<ssize_t>(magic.size()) ||
      magic != k_magic ||
      ::pread(fd, &arena_bytes, sizeof arena_bytes, static_cast<off_t>(magic.size())) !=
          static_cast<ssize_t>(sizeof arena_bytes)) {
    return corrupt(fmt::format("{} is not an arena image", path));
  }
  return arena_bytes;
}

// The records of image `fd` (`path`, of an arena of `arena_bytes`) from `at` (a
// record's start) up to `size`, applied in order to `memfd`; `at` ends after the last
// one applied.  With `partial`, a record that is not whole yet (the image is still being
// written) ends the work there; without, it is an error.
Status apply_records(int fd, const std::string& path, std::uint64_t arena_bytes, std::uint64_t size,
                     std::uint64_t& at, int memfd, bool partial) {
  while (at < size) {
    std::uint64_t header[2] = {0, 0};
    if (size - at < sizeof header || ::pread(fd, header, sizeof header, static_cast<off_t>(at)) !=
                                         static_cast<ssize_t>(sizeof header)) {
      return partial ? Status{} : corrupt(fmt::format("{} ends inside a record", path));
    }
    const bool is_hole = (header[1] & k_hole_bit) != 0;
    const std::uint64_t offset = header[0];
    const std::uint64_t length = header[1] & ~k_hole_bit;
    const std::uint64_t data_at = at + sizeof header;
    if (offset > arena_bytes || length > arena_bytes - offset) {
      return corrupt(fmt::format("{} holds a record outside the arena", path));
    }
    if (!is_hole && length > size - data_at) {
      return partial ? Status{} : corrupt(fmt::format("{} ends inside a record", path));
    }
    if (is_hole) {
      if (::fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                      static_cast<off_t>(length)) != 0) {
        return errno_status("cannot clear part of the arena", errno);
      }
    } else if (::lseek(memfd, static_cast<off_t>(offset), SEEK_SET) < 0 ||
               !send_all(memfd, fd, data_at, length)) {
      return errno_status(fmt::format("cannot load {} into the arena", path), errno);
    }
    at = data_at + (is_hole ? 0 : length);
  }
  return {};
}

std::uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

}  // namespace

Status load_arena_image(const std::string& path, int memfd) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno_status("cannot open " + path, errno);
  }
  const std::uint64_t size = file_size(fd);
  struct stat arena {};
  Status result;
  auto arena_bytes = read_header(fd, path);
  if (!arena_bytes.ok()) {
    result = arena_bytes.status();
  } else if (::fstat(memfd, &arena) != 0 ||
             static_cast<std::uint64_t>(arena.st_size) != arena_bytes.value()) {
    result =
        corrupt(fmt::format("{} is the image of an arena of {} bytes, the application's has {}",
                            path, arena_bytes.value(), static_cast<std::uint64_t>(arena.st_size)));
  } else {
    std::uint64_t at = k_header_bytes;
    result = apply_records(fd, path, arena_bytes.value(), size, at, memfd, false);
  }
  ::close(fd);
  return result;
}

// --- ArenaImageFollower ---------------------------------------------------------------

ArenaImageFollower::ArenaImageFollower(ArenaImageFollower&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_memfd(std::exchange(other.m_memfd, -1)),
      m_path(std::move(other.m_path)),
      m_arena_bytes(other.m_arena_bytes),
      m_at(other.m_at) {}

ArenaImageFollower& ArenaImageFollower::operator=(ArenaImageFollower&& other) noexcept {
  if (this != &other) {
    close_all();
    m_fd = std::exchange(other.m_fd, -1);
    m_memfd = std::exchange(other.m_memfd, -1);
    m_path = std::move(other.m_path);
    m_arena_bytes = other.m_arena_bytes;
    m_at = other.m_at;
  }
  return *this;
}

ArenaImageFollower::~ArenaImageFollower() {
  close_all();
}

void ArenaImageFollower::close_all() noexcept {
  for (int* fd : {&m_fd, &m_memfd}) {
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  }
}

Result<ArenaImageFollower> ArenaImageFollower::open(const std::string& path) {
  ArenaImageFollower f;
  f.m_path = path;
  if (Status s = f.start(); !s.ok()) {
    return s;
  }
  return f;
}

Status ArenaImageFollower::start() {
  close_all();
  m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd < 0) {
    return errno_status("cannot open " + m_path, errno);
  }
  auto arena_bytes = read_header(m_fd, m_path);
  if (!arena_bytes.ok()) {
    return arena_bytes.status();
  }
  m_arena_bytes = arena_bytes.value();
  m_at = k_header_bytes;
  // The name libftmpi-arena gives its memfd: the proxy maps an arena only by it.
  m_memfd = ::memfd_create("ftmpi-arena", MFD_CLOEXEC);
  if (m_memfd < 0 || ::ftruncate(m_memfd, static_cast<off_t>(m_arena_bytes)) != 0) {
    return errno_status("cannot make an arena of " + std::to_string(m_arena_bytes) + " bytes",
                        errno);
  }
  return {};
}

Status ArenaImageFollower::follow() {
  struct stat now {};
  struct stat held {};
  // Replaced (the copy started over: a new file) or cut short: from the start again.
  if ((::stat(m_path.c_str(), &now) == 0 && ::fstat(m_fd, &held) == 0 &&
       (now.st_ino != held.st_ino || now.st_dev != held.st_dev)) ||
      file_size(m_fd) < m_at) {
    if (Status s = start(); !s.ok()) {
      return s;
    }
  }
  return apply_records(m_fd, m_path, m_arena_bytes, file_size(m_fd), m_at, m_memfd, true);
}

Status ArenaImageFollower::finish(const std::string& path) {
  struct stat image {};
  struct stat held {};
  if (::stat(path.c_str(), &image) != 0 || ::fstat(m_fd, &held) != 0 ||
      image.st_ino != held.st_ino || image.st_dev != held.st_dev) {
    return not_found(fmt::format("{} is not the image followed ({})", path, m_path));
  }
  return apply_records(m_fd, path, m_arena_bytes, file_size(m_fd), m_at, m_memfd, false);
}

// Why the handler of signal `signal` in the stopped application `pid` (its arena at
// `arena_base`, `arena_bytes` long) could not be the first of it to run, and on a stack
// of its own, when it is continued; empty when it can.  Another thread could touch the
// arena first; a signal pending, or a handler for SIGCONT, runs the application's own
// handler first; a stack inside the arena (a coroutine's, say) is replaced under the
// handler.
std::string why_not_handed_over(pid_t pid, int signal, std::uint64_t arena_base,
                                std::uint64_t arena_bytes) noexcept {
  try {
    return signal_state_refusal(pid, signal, arena_base, arena_bytes);
  } catch (...) {
    return "the application's signal state cannot be read";
  }
}

}  // namespace ftmpi
