// What a rank proxy's generated executors use to perform one forwarded MPI call
// (transparent mode): the call's arguments arrive as raw 64-bit words; pointers are
// addresses in the application process.  Exec turns them into arguments the proxy can
// pass to MPI: handles are translated (a predefined handle is an address in the
// application's libmpi, at the same offset as in the proxy's), and memory is copied in
// with process_vm_readv and out with process_vm_writev, in one system call each way
// where it can.
//
// Buffers described by a count and a datatype are copied as the span the datatype
// covers (from its true lower bound to its true upper bound); a receive into a datatype
// with gaps first reads the span, so the gaps are written back unchanged.
//
// Non-blocking calls hand their buffers to a request record (defer): a receive's data
// is written back when a wait or test completes the request, a persistent send re-reads
// its buffer at each start.
#pragma once

#include <mpi.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "channel/channel.hpp"
#include "proxy/datatype_blocks.hpp"
#include "util/status.hpp"

// Addresses of the application process and handle values travel as integers here.
// NOLINTBEGIN(performance-no-int-to-ptr)
namespace ftmpi {

// The application's memory, seen from the proxy: through process_vm_readv/writev, or,
// for its arena (libftmpi-arena), through a mapping of the same memory here.
class RemoteMemory {
 public:
  RemoteMemory() = default;
  explicit RemoteMemory(pid_t pid) : m_pid(pid) {}
  RemoteMemory(const RemoteMemory&) = delete;
  RemoteMemory& operator=(const RemoteMemory&) = delete;
  RemoteMemory(RemoteMemory&&) = delete;
  RemoteMemory& operator=(RemoteMemory&&) = delete;
  ~RemoteMemory();
  // Maps the application's arena, if it has one and this has not (through
  // /proc/PID/fd); without it every buffer is copied, which is correct too.
  void map_arena(const AppIdentity& app) noexcept;
  // This process's address for the application's [from, from + len), when all of it
  // is in the arena; nullptr otherwise.
  [[nodiscard]] std::byte* direct(std::uint64_t from, std::size_t len) const noexcept {
    if (m_arena == nullptr || from < m_arena_base || len > m_arena_bytes ||
        from - m_arena_base > m_arena_bytes - len) {
      return nullptr;
    }
    return m_arena + (from - m_arena_base);
  }
  // Copies `len` bytes at application address `from` into `to`; false on failure.
  bool read(std::uint64_t from, void* to, std::size_t len) const noexcept;
  // The same for the blocks at `from` + offset into `to` + offset.
  bool read_blocks(std::uint64_t from, std::byte* to, const std::vector<Block>& blocks) const;
  // Queues a copy of `len` bytes from `from` to application address `to`.
  void queue_write(std::uint64_t to, const void* from, std::size_t len);
  // Performs the queued copies; false if any failed.
  bool flush() noexcept;
  // Reads a NUL-terminated string of at most `max` bytes.
  bool read_string(std::uint64_t from, std::string& out, std::size_t max) const;

  // The arena's mapping here (nullptr: not mapped).
  [[nodiscard]] std::byte* arena() const noexcept { return m_arena; }

  // Bytes of message buffers MPI used in place (in the arena) and bytes copied.
  std::uint64_t in_place_bytes = 0;
  std::uint64_t copied_bytes = 0;

 private:
  struct Write {
    std::uint64_t to;
    const void* from;
    std::size_t len;
  };
  pid_t m_pid = 0;
  std::vector<Write> m_writes;
  std::byte* m_arena = nullptr;
  std::uint64_t m_arena_base = 0;
  std::uint64_t m_arena_bytes = 0;
};

// Scratch memory for one call's arguments, uninitialised.  Large blocks (64 KiB and up)
// are kept for reuse, so a large message does not pay for fresh pages every time.
struct ScratchDeleter {
  std::size_t bytes = 0;
  void operator()(std::byte* block) const noexcept;
};
using ScratchBlock = std::unique_ptr<std::byte[], ScratchDeleter>;
ScratchBlock scratch_block(std::size_t bytes);

// A buffer of a pending request: where its data lives here and where it goes back.
struct DeferredCopy {
  std::uint64_t app = 0;
  std::byte* local = nullptr;
  std::size_t len = 0;
  // A point-to-point receive into a buffer without gaps: only the bytes the status
  // says arrived are written back (a shorter message, MPI_PROC_NULL).
  bool exact = false;
  // A buffer with gaps (a derived datatype): only these bytes are copied; else all.
  std::shared_ptr<const std::vector<Block>> blocks = nullptr;
};

// Predefined handles and callbacks between the application's addresses and this
// process's: the two tables of mpi_library.hpp side by side.  Anything else (virtual
// handles, user pointers) is the same in both.
class HandleTranslation {
 public:
  HandleTranslation() = default;
  // Fails (with a message for the user) unless both load the same libmpi and table.
  Status build(const AppIdentity& app, const AppIdentity& local);
  [[nodiscard]] std::uint64_t to_local(std::uint64_t app_word) const noexcept {
    const auto it = m_to_local.find(app_word);
    return it == m_to_local.end() ? app_word : it->second;
  }
  [[nodiscard]] std::uint64_t to_app(std::uint64_t local_word) const noexcept {
    const auto it = m_to_app.find(local_word);
    return it == m_to_app.end() ? local_word : it->second;
  }

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> m_to_local;
  std::unordered_map<std::uint64_t, std::uint64_t> m_to_app;
};

// What a persistent request posts at each start (for the quiesce's counts).
enum class RequestKind : std::uint8_t { other, send, recv };

// A persistent receive's arguments (proxy side), for a start a drained message serves.
struct PersistentRecv {
  void* buf = nullptr;
  int count = 0;
  MPI_Datatype type = MPI_DATATYPE_NULL;  // as the application names them
  int source = 0;
  int tag = 0;
  MPI_Comm comm = MPI_COMM_NULL;
};

struct RequestRecord {
  RequestKind kind = RequestKind::other;
  MPI_Comm comm = MPI_COMM_NULL;  // real
  int peer = 0;                   // destination or source
  PersistentRecv recv;            // kind recv
  // The real persistent request (kind send or recv): the virtual handle stands for it
  // again after an operation a drained message served.
  MPI_Request persistent_real = MPI_REQUEST_NULL;
  std::vector<ScratchBlock> storage;     // scratch the request uses
  std::vector<DeferredCopy> write_back;  // copied to the application on completion
  std::vector<DeferredCopy> reread;      // persistent sends: copied in again at start
  bool persistent = false;
  bool written = false;  // write_back done for the current operation
  bool active = false;   // persistent: started, not completed yet
  // The call that made it and its arguments as the application passed them: a restart
  // makes the request again with them (docs/transparent.md, "Requests at a checkpoint").
  std::uint16_t call = 0;
  std::array<std::uint64_t, k_call_words> words{};
  std::uint64_t order = 0;  // requests are made again in the order they were made
};

class Exec {
 public:
  // Addresses below this are MPI's constants (MPI_UNWEIGHTED is 2), never memory.
  static constexpr std::uint64_t k_lowest_address = 4096;

  Exec(RemoteMemory& memory, const HandleTranslation& handles,
       std::unordered_map<std::uint64_t, RequestRecord>& requests);

  // --- arguments ---
  template <class H>
  H handle(std::uint64_t word) const noexcept {
    return reinterpret_cast<H>(static_cast<std::uintptr_t>(to_local(word)));
  }
  // A callback the application passes: only MPI's predefined ones can run here.
  template <class F>
  F function(std::uint64_t word, const char* name) {
    const std::uint64_t local = to_local(word);
    if (word != 0 && local == word) {
      refuse_callback(name);
    }
    return reinterpret_cast<F>(static_cast<std::uintptr_t>(local));
  }
  template <class H>
  H get_handle(std::uint64_t address) {
    std::uint64_t word = 0;
    read_into(address, &word, sizeof word);
    return handle<H>(word);
  }
  template <class H>
  H* get_handles(std::uint64_t address, long count) {
    auto* words = read<std::uint64_t>(address, count);
    for (long i = 0; words != nullptr && i < count; ++i) {
      words[i] = to_local(words[i]);
    }
    return reinterpret_cast<H*>(words);
  }
  template <class H>
  void put_handle(std::uint64_t address, H value) {
    if (m_captured != nullptr) {
      m_captured->push_back(to_app(reinterpret_cast<std::uintptr_t>(value)));
      return;
    }
    if (address != 0) {
      auto* word = scratch<std::uint64_t>(1);
      *word = to_app(reinterpret_cast<std::uintptr_t>(value));
      m_memory.queue_write(address, word, sizeof *word);
    }
  }
  template <class H>
  void put_handles(std::uint64_t address, H* values, long count) {
    if (address == 0 || count <= 0) {
      return;
    }
    auto* words = scratch<std::uint64_t>(count);
    for (long i = 0; i < count; ++i) {
      words[i] = to_app(reinterpret_cast<std::uintptr_t>(values[i]));
    }
    m_memory.queue_write(address, words, sizeof(std::uint64_t) * static_cast<std::size_t>(count));
  }
  // An input array; a non-null empty array for count 0, nullptr for a null address.
  template <class T>
  T* read(std::uint64_t address, long count) {
    if (address < k_lowest_address) {
      return reinterpret_cast<T*>(static_cast<std::uintptr_t>(address));
    }
    T* local = scratch<T>(count);
    read_into(address, local, sizeof(T) * static_cast<std::size_t>(count > 0 ? count : 0));
    return local;
  }
  // Weights arrays may be MPI_UNWEIGHTED or MPI_WEIGHTS_EMPTY (small constants).
  const int* read_weights(std::uint64_t address, long count);
  // An output array, written back if the call succeeds; nullptr for a null address.
  template <class T>
  T* out(std::uint64_t address, long count) {
    if (address < k_lowest_address) {
      return reinterpret_cast<T*>(static_cast<std::uintptr_t>(address));
    }
    T* local = scratch<T>(count);
    m_outputs.push_back({address, reinterpret_cast<std::byte*>(local),
                         sizeof(T) * static_cast<std::size_t>(count > 0 ? count : 0)});
    return local;
  }
  template <class T>
  T* inout(std::uint64_t address, long count) {
    T* local = read<T>(address, count);
    if (address >= k_lowest_address) {
      m_outputs.push_back({address, reinterpret_cast<std::byte*>(local),
                           sizeof(T) * static_cast<std::size_t>(count > 0 ? count : 0)});
    }
    return local;
  }
  // Statuses are always asked of MPI (the proxy needs the received sizes); they are
  // written back unless the application passed MPI_STATUS(ES)_IGNORE.
  MPI_Status* out_status(std::uint64_t address, long count) {
    return address == 0 ? scratch<MPI_Status>(count) : out<MPI_Status>(address, count);
  }
  const char* read_string(std::uint64_t address);
  char* out_string(std::uint64_t address, long max);

  // Buffers of `count` elements of (real) `type` at an application address.
  const void* send_buffer(std::uint64_t address, long count, MPI_Datatype type);
  // `read_first`: the call may leave parts of the buffer untouched (in-place, neighbour
  // collectives with MPI_PROC_NULL neighbours).  `exact`: a point-to-point receive, whose
  // status says how much arrived (see received()).
  void* recv_buffer(std::uint64_t address, long count, MPI_Datatype type, bool read_first,
                    bool exact = false);
  // A blocking receive finished with `status`: trim its exact buffer.
  void received(const MPI_Status* status);
  void* inout_buffer(std::uint64_t address, long count, MPI_Datatype type);
  // Per-peer counts and displacements (in elements of `type`, or in bytes with per-peer
  // types for the "w" variants).
  const void* send_buffer_v(std::uint64_t address, const int* counts, const int* displs,
                            MPI_Datatype type, long peers);
  void* recv_buffer_v(std::uint64_t address, const int* counts, const int* displs,
                      MPI_Datatype type, long peers, bool read_first);
  template <class D>
  const void* send_buffer_w(std::uint64_t address, const int* counts, const D* displs,
                            const MPI_Datatype* types, long peers);
  template <class D>
  void* recv_buffer_w(std::uint64_t address, const int* counts, const D* displs,
                      const MPI_Datatype* types, long peers, bool read_first);
  // Plain bytes (MPI_Pack's output, MPI_Unpack's input).
  const void* read_bytes(std::uint64_t address, long len);
  void* inout_bytes(std::uint64_t address, long len);

  // The call being carried out (recorded with the requests it makes).
  void set_call(std::uint16_t call, const std::uint64_t* words) noexcept {
    m_call = call;
    m_words = words;
  }
  // Handles the call returns are collected in `into` instead of written to the
  // application (a request made again at a restart keeps the handle it had).
  void capture_handles(std::vector<std::uint64_t>* into) noexcept { m_captured = into; }

  // --- requests ---
  // The call started a non-blocking operation: its buffers belong to `request`.
  void defer(MPI_Request request, bool persistent, RequestKind kind = RequestKind::other,
             MPI_Comm comm = MPI_COMM_NULL, int peer = 0);
  // A persistent receive was created: what its starts receive.
  void persistent_recv(MPI_Request request, const PersistentRecv& recv);
  // Writes request handles back after a wait or test: a persistent request whose
  // operation a drained message served gets its own handle back, not MPI_REQUEST_NULL.
  void put_request(std::uint64_t address, MPI_Request after, MPI_Request before);
  void put_requests(std::uint64_t address, MPI_Request* after, const MPI_Request* before,
                    long count);
  // Persistent requests about to start: their send buffers are read again.
  void starting(const MPI_Request* requests, long count);
  // A wait or test completed `request`: its data goes back with this call's outputs.
  // `keep`: the request stays (MPI_Request_get_status, persistent requests).
  void completed(MPI_Request request, bool keep, const MPI_Status* status);
  void forget(MPI_Request request);

  // --- the end of the call ---
  [[nodiscard]] bool ok() const noexcept { return m_error.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return m_error; }
  // Writes the outputs (all of them if `success`, else only handles the call may have
  // freed); false if the application's memory could not be written.
  bool finish(bool success);
  // A handle or pointer this process returns, as the application must see it.
  template <class H>
  [[nodiscard]] std::uint64_t app_word(H value) const noexcept {
    return to_app(reinterpret_cast<std::uintptr_t>(value));
  }

  template <class T>
  T* scratch(long count) {
    // T may be a handle type (a pointer): its size is what is wanted.
    constexpr std::size_t k_element = sizeof(T);  // NOLINT(bugprone-sizeof-expression)
    const std::size_t bytes = k_element * static_cast<std::size_t>(count > 0 ? count : 1);
    m_storage.push_back(scratch_block(bytes));
    return reinterpret_cast<T*>(m_storage.back().get());
  }

 private:
  struct Span {
    std::int64_t lower = 0;  // offset of the first byte from the buffer address
    std::size_t bytes = 0;   // bytes covered
    bool dense = true;       // no gaps: the data fills the span
  };
  static Span span_of(long count, MPI_Datatype type) noexcept;
  void* local_buffer(std::uint64_t address, const Span& span, bool read_first, bool write_back,
                     long count = 0, MPI_Datatype type = MPI_DATATYPE_NULL);
  // Copies an application buffer in, or queues it to be written back (`bytes` of it).
  void copy_in(const DeferredCopy& c);
  void copy_out(const DeferredCopy& c, std::size_t bytes);
  // One peer's part of a "v" or "w" buffer: byte offset, count, datatype.
  struct Piece {
    std::int64_t offset;
    long count;
    MPI_Datatype type;
  };
  template <class PieceOf>
  void* pieces_buffer(std::uint64_t address, long peers, PieceOf&& piece_of, bool read_first,
                      bool write_back);
  void* buffer_v(std::uint64_t address, const int* counts, const int* displs, MPI_Datatype type,
                 long peers, bool read_first, bool write_back);
  template <class D>
  void* buffer_w(std::uint64_t address, const int* counts, const D* displs,
                 const MPI_Datatype* types, long peers, bool read_first, bool write_back);
  void read_into(std::uint64_t address, void* local, std::size_t len);
  void refuse_callback(const char* name);
  [[nodiscard]] std::uint64_t to_local(std::uint64_t app_word) const noexcept {
    return m_handles.to_local(app_word);
  }
  [[nodiscard]] std::uint64_t to_app(std::uint64_t local_word) const noexcept {
    return m_handles.to_app(local_word);
  }

  RemoteMemory& m_memory;
  const HandleTranslation& m_handles;
  std::unordered_map<std::uint64_t, RequestRecord>& m_requests;
  std::vector<ScratchBlock> m_storage;
  std::vector<DeferredCopy> m_outputs;      // small outputs: written on success
  std::vector<DeferredCopy> m_buffers;      // received data: written on success or deferred
  std::vector<DeferredCopy> m_send_copies;  // send data read in (persistent re-reads)
  std::string m_error;
  std::uint16_t m_call = 0;
  const std::uint64_t* m_words = nullptr;
  std::vector<std::uint64_t>* m_captured = nullptr;
};

// One forwarded call: returns the MPI return value; `result` receives a non-int return
// value (MPI_Comm_c2f's MPI_Fint, MPI_Comm_f2c's handle).
using Executor = int (*)(Exec& x, const std::uint64_t* w, std::uint64_t& result);
struct ExecutorEntry {
  Executor run;      // nullptr: not forwarded (the application refuses or answers it)
  bool returns_int;  // the application gets the MPI return value, else `result`
};
// The generated table.
const ExecutorEntry& executor(std::uint16_t call) noexcept;

// NOLINTEND(performance-no-int-to-ptr)
}  // namespace ftmpi
