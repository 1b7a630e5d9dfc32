#include "proxy/exec.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "mpi/handles.hpp"
#include "proxy/quiesce.hpp"
#include "util/log.hpp"

// Addresses of the application process and handle values travel as integers here.
// NOLINTBEGIN(performance-no-int-to-ptr)
namespace ftmpi {
namespace {

constexpr std::uint64_t k_in_place = 1;  // MPI_IN_PLACE in Open MPI's mpi.h
constexpr std::size_t k_max_iov = 1024;
constexpr long k_page = 4096;

}  // namespace

// --- scratch memory -----------------------------------------------------------------

namespace {

constexpr std::size_t k_pooled_bytes = std::size_t{64} << 10;
constexpr std::size_t k_pool_limit = std::size_t{512} << 20;

// Free large blocks by size class (the next power of two); executors run on one thread.
struct ScratchPool {
  ScratchPool() = default;
  ScratchPool(const ScratchPool&) = delete;
  ScratchPool& operator=(const ScratchPool&) = delete;
  ScratchPool(ScratchPool&&) = delete;
  ScratchPool& operator=(ScratchPool&&) = delete;
  std::unordered_map<std::size_t, std::vector<std::byte*>> free;
  std::size_t held = 0;
  ~ScratchPool() {
    for (auto& [bytes, blocks] : free) {
      for (std::byte* b : blocks) {
        delete[] b;
      }
    }
  }
};

ScratchPool& pool() {
  static ScratchPool p;
  return p;
}

std::size_t size_class(std::size_t bytes) {
  std::size_t c = k_pooled_bytes;
  while (c < bytes) {
    c <<= 1U;
  }
  return c;
}

}  // namespace

void ScratchDeleter::operator()(std::byte* block) const noexcept {
  if (bytes >= k_pooled_bytes && pool().held + bytes <= k_pool_limit) {
    try {
      pool().free[bytes].push_back(block);
      pool().held += bytes;
      return;
    } catch (...) {  // NOLINT(bugprone-empty-catch): fall through to delete
    }
  }
  delete[] block;
}

ScratchBlock scratch_block(std::size_t bytes) {
  if (bytes < k_pooled_bytes) {
    return {new std::byte[bytes], ScratchDeleter{bytes}};
  }
  const std::size_t c = size_class(bytes);
  auto it = pool().free.find(c);
  if (it != pool().free.end() && !it->second.empty()) {
    std::byte* block = it->second.back();
    it->second.pop_back();
    pool().held -= c;
    return {block, ScratchDeleter{c}};
  }
  return {new std::byte[c], ScratchDeleter{c}};
}

// --- RemoteMemory -------------------------------------------------------------------

RemoteMemory::~RemoteMemory() {
  if (m_arena != nullptr) {
    ::munmap(m_arena, m_arena_bytes);
  }
}

void RemoteMemory::map_arena(const AppIdentity& app) noexcept {
  if (m_arena != nullptr || app.arena_bytes == 0 || app.arena_fd < 0) {
    return;
  }
  try {
    const std::string path = fmt::format("/proc/{}/fd/{}", m_pid, app.arena_fd);
    char target[128] = {};
    const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    const int fd = n > 0 && std::strstr(target, "memfd:ftmpi-arena") != nullptr
                       ? ::open(path.c_str(), O_RDWR | O_CLOEXEC)
                       : -1;
    struct stat st {};
    void* mapped = MAP_FAILED;
    if (fd >= 0 && ::fstat(fd, &st) == 0 &&
        static_cast<std::uint64_t>(st.st_size) == app.arena_bytes) {
      mapped = ::mmap(nullptr, app.arena_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                      fd, 0);
    }
    const int err = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    if (mapped == MAP_FAILED) {
      logger("proxy")->warn("cannot map the application's arena ({}: {}); its buffers are copied",
                            path, std::strerror(err));
      return;
    }
    m_arena = static_cast<std::byte*>(mapped);
    m_arena_base = app.arena_base;
    m_arena_bytes = app.arena_bytes;
    logger("proxy")->debug("the application's arena mapped: {} GiB at {:#x}", app.arena_bytes >> 30,
                           app.arena_base);
  } catch (...) {  // formatting or logging: the arena stays unmapped
  }
}

bool RemoteMemory::read(std::uint64_t from, void* to, std::size_t len) const noexcept {
  if (const std::byte* in_arena = direct(from, len)) {
    std::memcpy(to, in_arena, len);
    return true;
  }
  auto* out = static_cast<std::byte*>(to);
  while (len > 0) {
    iovec local{out, len};
    iovec remote{reinterpret_cast<void*>(static_cast<std::uintptr_t>(from)), len};
    const ssize_t got = ::process_vm_readv(m_pid, &local, 1, &remote, 1, 0);
    if (got <= 0) {
      return false;
    }
    out += got;
    from += static_cast<std::uint64_t>(got);
    len -= static_cast<std::size_t>(got);
  }
  return true;
}

bool RemoteMemory::read_blocks(std::uint64_t from, std::byte* to,
                               const std::vector<Block>& blocks) const {
  iovec local[k_max_iov];
  iovec remote[k_max_iov];
  std::size_t i = 0;
  while (i < blocks.size()) {
    const std::size_t n = std::min(k_max_iov, blocks.size() - i);
    std::size_t total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const Block& b = blocks[i + k];
      local[k] = {to + b.offset, b.len};
      remote[k] = {reinterpret_cast<void*>(
                       static_cast<std::uintptr_t>(from + static_cast<std::uint64_t>(b.offset))),
                   b.len};
      total += b.len;
    }
    if (::process_vm_readv(m_pid, local, n, remote, n, 0) != static_cast<ssize_t>(total)) {
      for (std::size_t k = 0; k < n; ++k) {  // a partial read: one at a time
        const Block& b = blocks[i + k];
        if (!read(from + static_cast<std::uint64_t>(b.offset), to + b.offset, b.len)) {
          return false;
        }
      }
    }
    i += n;
  }
  return true;
}

void RemoteMemory::queue_write(std::uint64_t to, const void* from, std::size_t len) {
  if (len > 0) {
    m_writes.push_back({to, from, len});
  }
}

bool RemoteMemory::flush() noexcept {
  bool ok = true;
  if (m_arena != nullptr) {
    std::erase_if(m_writes, [this](const Write& w) {
      std::byte* in_arena = direct(w.to, w.len);
      if (in_arena != nullptr) {
        std::memcpy(in_arena, w.from, w.len);
      }
      return in_arena != nullptr;
    });
  }
  std::size_t i = 0;
  iovec local[k_max_iov];
  iovec remote[k_max_iov];
  while (i < m_writes.size()) {
    const std::size_t n = std::min(k_max_iov, m_writes.size() - i);
    std::size_t total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const Write& w = m_writes[i + k];
      local[k] = {const_cast<void*>(w.from), w.len};  // NOLINT: iovec is not const-correct
      remote[k] = {reinterpret_cast<void*>(static_cast<std::uintptr_t>(w.to)), w.len};
      total += w.len;
    }
    const ssize_t put = ::process_vm_writev(m_pid, local, n, remote, n, 0);
    if (put != static_cast<ssize_t>(total)) {
      // A partial write (a large buffer, a bad address): one at a time, in pieces.
      for (std::size_t k = 0; k < n; ++k) {
        const Write& w = m_writes[i + k];
        std::size_t done = 0;
        while (done < w.len) {
          iovec l{static_cast<std::byte*>(const_cast<void*>(w.from)) + done, w.len - done};
          iovec r{reinterpret_cast<void*>(static_cast<std::uintptr_t>(w.to + done)), w.len - done};
          const ssize_t wrote = ::process_vm_writev(m_pid, &l, 1, &r, 1, 0);
          if (wrote <= 0) {
            ok = false;
            break;
          }
          done += static_cast<std::size_t>(wrote);
        }
      }
    }
    i += n;
  }
  m_writes.clear();
  return ok;
}

bool RemoteMemory::read_string(std::uint64_t from, std::string& out, std::size_t max) const {
  out.clear();
  char chunk[k_page];
  while (out.size() < max) {
    // Never cross a page boundary in one read: the next page may not be mapped.
    const auto room = static_cast<std::size_t>(k_page - static_cast<long>(from % k_page));
    const std::size_t len = std::min(room, max - out.size());
    if (!read(from, chunk, len)) {
      return false;
    }
    const void* nul = std::memchr(chunk, '\0', len);
    if (nul != nullptr) {
      out.append(chunk, static_cast<std::size_t>(static_cast<const char*>(nul) - chunk));
      return true;
    }
    out.append(chunk, len);
    from += len;
  }
  return false;
}

// --- Exec ---------------------------------------------------------------------------

Status HandleTranslation::build(const AppIdentity& app, const AppIdentity& local) {
  if (app.mpi_size != local.mpi_size || app.mpi_inode != local.mpi_inode) {
    return unsupported(fmt::format(
        "the application loads a different libmpi than its rank proxy ({} bytes, inode {} vs "
        "{} bytes, inode {}); build and run it with the Open MPI ftmpi was built with",
        app.mpi_size, app.mpi_inode, local.mpi_size, local.mpi_inode));
  }
  if (app.predefined_count != local.predefined_count) {
    return unsupported("the application runs a different libftmpi than its rank proxy");
  }
  m_to_local.clear();
  m_to_app.clear();
  for (std::uint32_t i = 0; i < app.predefined_count; ++i) {
    if (app.predefined[i] == 0 || local.predefined[i] == 0) {
      continue;
    }
    m_to_local[app.predefined[i]] = local.predefined[i];
    m_to_app[local.predefined[i]] = app.predefined[i];
  }
  return {};
}

Exec::Exec(RemoteMemory& memory, const HandleTranslation& handles,
           std::unordered_map<std::uint64_t, RequestRecord>& requests)
    : m_memory(memory), m_handles(handles), m_requests(requests) {}

void Exec::read_into(std::uint64_t address, void* local, std::size_t len) {
  if (len == 0 || !m_error.empty()) {
    return;
  }
  if (!m_memory.read(address, local, len)) {
    m_error = fmt::format("cannot read {} bytes of the application's memory at {:#x}: {}", len,
                          address, std::strerror(errno));
  }
}

void Exec::copy_in(const DeferredCopy& c) {
  if (!c.blocks) {
    read_into(c.app, c.local, c.len);
    return;
  }
  if (m_error.empty() && !m_memory.read_blocks(c.app, c.local, *c.blocks)) {
    m_error = fmt::format("cannot read a buffer of the application at {:#x}: {}", c.app,
                          std::strerror(errno));
  }
}

void Exec::copy_out(const DeferredCopy& c, std::size_t bytes) {
  if (!c.blocks) {
    m_memory.queue_write(c.app, c.local, bytes);
    return;
  }
  for (const Block& b : *c.blocks) {
    m_memory.queue_write(c.app + static_cast<std::uint64_t>(b.offset), c.local + b.offset, b.len);
  }
}

void Exec::refuse_callback(const char* name) {
  if (m_error.empty()) {
    m_error = fmt::format(
        "{} is a function of the application; the rank proxy cannot call it, so "
        "transparent mode does not support user-defined callbacks yet (use --mode native)",
        name);
  }
}

const int* Exec::read_weights(std::uint64_t address, long count) {
  const auto unweighted = reinterpret_cast<std::uintptr_t>(MPI_UNWEIGHTED);
  const auto empty = reinterpret_cast<std::uintptr_t>(MPI_WEIGHTS_EMPTY);
  if (address == unweighted || address == empty) {
    return reinterpret_cast<const int*>(static_cast<std::uintptr_t>(address));
  }
  return read<int>(address, count);
}

const char* Exec::read_string(std::uint64_t address) {
  if (address == 0) {
    return nullptr;
  }
  std::string text;
  if (!m_memory.read_string(address, text, 1 << 20) && m_error.empty()) {
    m_error = fmt::format("cannot read a string of the application at {:#x}", address);
  }
  char* local = scratch<char>(static_cast<long>(text.size()) + 1);
  std::memcpy(local, text.c_str(), text.size() + 1);
  return local;
}

char* Exec::out_string(std::uint64_t address, long max) {
  if (address == 0) {
    return nullptr;
  }
  char* local = scratch<char>(max);
  std::memset(local, 0, static_cast<std::size_t>(max));
  // Written back up to its NUL when the call succeeds (see finish).
  m_outputs.push_back({address, reinterpret_cast<std::byte*>(local),
                       static_cast<std::size_t>(max) | (std::size_t{1} << 62)});
  return local;
}

Exec::Span Exec::span_of(long count, MPI_Datatype type) noexcept {
  Span span;
  if (count <= 0 || type == MPI_DATATYPE_NULL) {
    return span;
  }
  const auto layout = type_layout(type);
  if (!layout) {
    return span;
  }
  const MPI_Aint reach = (count - 1) * layout->extent;
  span.lower = layout->true_lb + std::min<MPI_Aint>(reach, 0);
  span.bytes = static_cast<std::size_t>(std::abs(reach) + layout->true_extent);
  span.dense =
      static_cast<std::size_t>(layout->size) * static_cast<std::size_t>(count) == span.bytes;
  return span;
}

void* Exec::local_buffer(std::uint64_t address, const Span& span, bool read_first, bool write_back,
                         long count, MPI_Datatype type) {
  if (address == k_in_place) {
    return MPI_IN_PLACE;
  }
  if (span.bytes == 0) {
    return address == 0 ? nullptr : scratch<std::byte>(1);
  }
  const std::uint64_t first = address + static_cast<std::uint64_t>(span.lower);
  if (std::byte* in_arena = m_memory.direct(first, span.bytes)) {
    // In the application's arena: MPI uses its memory as it is, nothing is copied.
    m_memory.in_place_bytes += span.bytes;
    return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(in_arena) -
                                   static_cast<std::uintptr_t>(span.lower));
  }
  m_memory.copied_bytes += span.bytes;
  auto* local = scratch<std::byte>(static_cast<long>(span.bytes));
  DeferredCopy copy{first, local, span.bytes};
  if (!span.dense && type != MPI_DATATYPE_NULL) {
    // Only the bytes the datatype covers go between the processes (a matrix column).
    if (auto blocks = datatype_blocks(count, type, span.lower)) {
      copy.blocks = std::make_shared<const std::vector<Block>>(std::move(*blocks));
    }
  }
  if (read_first) {
    copy_in(copy);
    m_send_copies.push_back(copy);
  }
  if (write_back) {
    m_buffers.push_back(copy);
  }
  // MPI adds the datatype's displacements to the pointer it is given.
  return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(local) -
                                 static_cast<std::uintptr_t>(span.lower));
}

const void* Exec::send_buffer(std::uint64_t address, long count, MPI_Datatype type) {
  if (address == k_in_place) {  // the count and type may be anything then
    return MPI_IN_PLACE;
  }
  return local_buffer(address, span_of(count, type), true, false, count, type);
}

void* Exec::recv_buffer(std::uint64_t address, long count, MPI_Datatype type, bool read_first,
                        bool exact) {
  if (address == k_in_place) {
    return MPI_IN_PLACE;
  }
  const Span span = span_of(count, type);
  const bool pre_read = read_first || !span.dense;
  const std::size_t copies = m_buffers.size();
  void* local = local_buffer(address, span, pre_read, true, count, type);
  if (exact && !pre_read && m_buffers.size() > copies) {
    m_buffers.back().exact = true;
  }
  return local;
}

namespace {

// Bytes to write back of a received buffer.
std::size_t received_bytes(const DeferredCopy& c, const MPI_Status* status) {
  if (!c.exact || status == nullptr) {
    return c.len;
  }
  int bytes = 0;
  if (PMPI_Get_count(status, MPI_BYTE, &bytes) != MPI_SUCCESS || bytes == MPI_UNDEFINED ||
      bytes < 0) {
    return c.len;
  }
  return std::min(c.len, static_cast<std::size_t>(bytes));
}

}  // namespace

void Exec::received(const MPI_Status* status) {
  for (DeferredCopy& c : m_buffers) {
    c.len = received_bytes(c, status);
    c.exact = false;
  }
}

void* Exec::inout_buffer(std::uint64_t address, long count, MPI_Datatype type) {
  return local_buffer(address, span_of(count, type), true, true, count, type);
}

template <class PieceOf>
void* Exec::pieces_buffer(std::uint64_t address, long peers, PieceOf&& piece_of, bool read_first,
                          bool write_back) {
  // The union of the per-peer spans; dense if they tile it exactly.
  std::int64_t low = INT64_MAX;
  std::int64_t high = INT64_MIN;
  std::size_t data = 0;
  for (long i = 0; i < peers; ++i) {
    const Piece p = piece_of(i);
    if (p.count <= 0) {
      continue;
    }
    const Span s = span_of(p.count, p.type);
    low = std::min(low, p.offset + s.lower);
    high = std::max(high, p.offset + s.lower + static_cast<std::int64_t>(s.bytes));
    int size = 0;
    PMPI_Type_size(p.type, &size);
    data += static_cast<std::size_t>(size) * static_cast<std::size_t>(p.count);
  }
  Span span;
  if (high > low) {
    span.lower = low;
    span.bytes = static_cast<std::size_t>(high - low);
    span.dense = data == span.bytes;
  }
  return local_buffer(address, span, read_first || !span.dense, write_back);
}

const void* Exec::send_buffer_v(std::uint64_t address, const int* counts, const int* displs,
                                MPI_Datatype type, long peers) {
  return buffer_v(address, counts, displs, type, peers, true, false);
}

void* Exec::recv_buffer_v(std::uint64_t address, const int* counts, const int* displs,
                          MPI_Datatype type, long peers, bool read_first) {
  return buffer_v(address, counts, displs, type, peers, read_first, true);
}

void* Exec::buffer_v(std::uint64_t address, const int* counts, const int* displs, MPI_Datatype type,
                     long peers, bool read_first, bool write_back) {
  if (address == k_in_place) {
    return MPI_IN_PLACE;
  }
  MPI_Aint lb = 0;
  MPI_Aint extent = 0;
  if (counts == nullptr || displs == nullptr || PMPI_Type_get_extent(type, &lb, &extent) != 0) {
    return local_buffer(address, Span{}, false, false);
  }
  return pieces_buffer(
      address, peers,
      [&](long i) {
        return Piece{static_cast<std::int64_t>(displs[i]) * extent, counts[i], type};
      },
      read_first, write_back);
}

template <class D>
const void* Exec::send_buffer_w(std::uint64_t address, const int* counts, const D* displs,
                                const MPI_Datatype* types, long peers) {
  return buffer_w(address, counts, displs, types, peers, true, false);
}

template <class D>
void* Exec::recv_buffer_w(std::uint64_t address, const int* counts, const D* displs,
                          const MPI_Datatype* types, long peers, bool read_first) {
  return buffer_w(address, counts, displs, types, peers, read_first, true);
}

template <class D>
void* Exec::buffer_w(std::uint64_t address, const int* counts, const D* displs,
                     const MPI_Datatype* types, long peers, bool read_first, bool write_back) {
  if (address == k_in_place) {
    return MPI_IN_PLACE;
  }
  if (counts == nullptr || displs == nullptr || types == nullptr) {
    return local_buffer(address, Span{}, false, false);
  }
  return pieces_buffer(
      address, peers,
      [&](long i) {
        return Piece{static_cast<std::int64_t>(displs[i]), counts[i], types[i]};
      },
      read_first, write_back);
}

template const void* Exec::send_buffer_w<int>(std::uint64_t, const int*, const int*,
                                              const MPI_Datatype*, long);
template void* Exec::recv_buffer_w<int>(std::uint64_t, const int*, const int*, const MPI_Datatype*,
                                        long, bool);
template const void* Exec::send_buffer_w<MPI_Aint>(std::uint64_t, const int*, const MPI_Aint*,
                                                   const MPI_Datatype*, long);
template void* Exec::recv_buffer_w<MPI_Aint>(std::uint64_t, const int*, const MPI_Aint*,
                                             const MPI_Datatype*, long, bool);

const void* Exec::read_bytes(std::uint64_t address, long len) {
  Span span;
  span.bytes = static_cast<std::size_t>(len > 0 ? len : 0);
  return local_buffer(address, span, true, false);
}

void* Exec::inout_bytes(std::uint64_t address, long len) {
  Span span;
  span.bytes = static_cast<std::size_t>(len > 0 ? len : 0);
  return local_buffer(address, span, true, true);
}

void Exec::defer(MPI_Request request, bool persistent, RequestKind kind, MPI_Comm comm, int peer) {
  RequestRecord& record = m_requests[reinterpret_cast<std::uintptr_t>(request)];
  record.kind = kind;
  record.comm = comm;
  record.peer = peer;
  for (auto& s : m_storage) {
    record.storage.push_back(std::move(s));
  }
  m_storage.clear();
  record.write_back = std::move(m_buffers);
  m_buffers.clear();
  record.persistent = persistent;
  record.call = m_call;
  if (m_words != nullptr) {
    std::copy(m_words, m_words + k_call_words, record.words.begin());
  }
  static std::uint64_t made = 0;
  record.order = ++made;
  if (persistent) {
    record.reread = std::move(m_send_copies);
    record.persistent_real = to_real(request);
  }
  m_send_copies.clear();
  record.written = false;
}

void Exec::starting(const MPI_Request* requests, long count) {
  for (long i = 0; i < count; ++i) {
    auto it = m_requests.find(reinterpret_cast<std::uintptr_t>(requests[i]));
    if (it == m_requests.end()) {
      continue;
    }
    RequestRecord& record = it->second;
    for (const DeferredCopy& c : record.reread) {
      copy_in(c);
    }
    record.written = false;
    record.active = true;
    if (record.kind == RequestKind::send) {
      traffic().sent(record.comm, record.peer);
    } else if (record.kind == RequestKind::recv) {
      const PersistentRecv& r = record.recv;
      if (auto drained = drain_queue().take(r.comm, r.source, r.tag)) {
        // Served by a message the quiesce drained: this operation is a request complete
        // from the start; the persistent request itself stays inactive.
        MPI_Status status{};
        const int rc = deliver_drained(*drained, r.buf, r.count, r.type, &status);
        status.MPI_ERROR = rc;
        handle_table(HandleKind::request)
            .place(handle_bits(requests[i]), completed_request(status));
        traffic().served_from_drain(requests[i]);
      } else {
        traffic().recv_posted(requests[i], record.comm);
      }
    }
  }
}

void Exec::persistent_recv(MPI_Request request, const PersistentRecv& recv) {
  auto it = m_requests.find(reinterpret_cast<std::uintptr_t>(request));
  if (it != m_requests.end()) {
    it->second.recv = recv;
  }
}

void Exec::put_request(std::uint64_t address, MPI_Request after, MPI_Request before) {
  if (after == MPI_REQUEST_NULL && before != MPI_REQUEST_NULL) {
    auto it = m_requests.find(reinterpret_cast<std::uintptr_t>(before));
    if (it != m_requests.end() && it->second.persistent) {
      handle_table(HandleKind::request).place(handle_bits(before), it->second.persistent_real);
      after = before;
    }
  }
  put_handle(address, after);
}

void Exec::put_requests(std::uint64_t address, MPI_Request* after, const MPI_Request* before,
                        long count) {
  for (long i = 0; i < count && after != nullptr && before != nullptr; ++i) {
    if (after[i] == MPI_REQUEST_NULL && before[i] != MPI_REQUEST_NULL) {
      auto it = m_requests.find(reinterpret_cast<std::uintptr_t>(before[i]));
      if (it != m_requests.end() && it->second.persistent) {
        handle_table(HandleKind::request).place(handle_bits(before[i]), it->second.persistent_real);
        after[i] = before[i];
      }
    }
  }
  put_handles(address, after, count);
}

void Exec::completed(MPI_Request request, bool keep, const MPI_Status* status) {
  auto it = m_requests.find(reinterpret_cast<std::uintptr_t>(request));
  const bool stays = keep || (it != m_requests.end() && it->second.persistent);
  traffic().recv_completed(request, status, !stays);
  if (it == m_requests.end()) {
    return;
  }
  RequestRecord& record = it->second;
  if (!record.written) {
    for (const DeferredCopy& c : record.write_back) {
      copy_out(c, received_bytes(c, status));
    }
    record.written = true;
  }
  if (!keep) {
    record.active = false;
  }
  if (!keep && !record.persistent) {
    // Its buffers are written at the end of this call: keep them alive until then.
    for (auto& s : record.storage) {
      m_storage.push_back(std::move(s));
    }
    m_requests.erase(it);
  }
}

void Exec::forget(MPI_Request request) {
  traffic().recv_completed(request, MPI_STATUS_IGNORE, true);
  auto it = m_requests.find(reinterpret_cast<std::uintptr_t>(request));
  if (it != m_requests.end()) {
    for (auto& s : it->second.storage) {
      m_storage.push_back(std::move(s));
    }
    m_requests.erase(it);
  }
}

bool Exec::finish(bool success) {
  if (success) {
    for (const DeferredCopy& c : m_outputs) {
      constexpr std::size_t k_string_flag = std::size_t{1} << 62;
      if ((c.len & k_string_flag) != 0) {
        const std::size_t max = c.len & ~k_string_flag;
        const auto* text = reinterpret_cast<const char*>(c.local);
        m_memory.queue_write(c.app, c.local, ::strnlen(text, max - 1) + 1);
      } else {
        m_memory.queue_write(c.app, c.local, c.len);
      }
    }
    for (const DeferredCopy& c : m_buffers) {
      copy_out(c, c.len);
    }
  }
  const bool written = m_memory.flush();
  if (!written && m_error.empty()) {
    m_error = "cannot write the results into the application's memory";
  }
  m_outputs.clear();
  m_buffers.clear();
  m_send_copies.clear();
  m_storage.clear();
  return written;
}

// NOLINTEND(performance-no-int-to-ptr)
}  // namespace ftmpi
