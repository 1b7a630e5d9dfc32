// Virtual MPI handles.
//
// The application never holds a real handle that ftmpi created for it: every handle
// an MPI call creates is replaced by a virtual one, a value in a non-canonical x86-64
// address range (tag 0xF7F7 in the top 16 bits) that can never be a real pointer, with
// the kind and a table index in the low bits.  Predefined handles (MPI_COMM_WORLD,
// MPI_DOUBLE, MPI_SUM, ...) stay what the application's mpi.h says they are, so
// comparisons with them keep working; MPI_COMM_WORLD maps to the communicator of the
// application's ranks (without the hidden predictor rank).
//
// Because virtual handles are values the application stores, they survive a
// checkpoint: after a restart only the tables' real sides are rebuilt (from the
// creation log).
//
// Thread safety: lookups (to_real) are lock-free; creating and releasing handles take
// a per-kind mutex.  None of this is async-signal-safe.
#pragma once

#include <mpi.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ftmpi {

enum class HandleKind : std::uint8_t {
  comm = 1,
  group,
  datatype,
  op,
  request,
  info,
  errhandler,
  message,
};
inline constexpr std::size_t k_handle_kinds = 9;  // index 0 unused

inline constexpr std::uintptr_t k_virtual_tag = std::uintptr_t{0xF7F7} << 48;
inline constexpr unsigned k_kind_shift = 40;
inline constexpr std::uintptr_t k_index_mask = (std::uintptr_t{1} << k_kind_shift) - 1;

[[nodiscard]] inline bool is_virtual_bits(std::uintptr_t bits) noexcept {
  return (bits & (std::uintptr_t{0xFFFF} << 48)) == k_virtual_tag;
}

// One kind's table: virtual index -> real handle, and real -> virtual for the way back.
// Entries live in fixed chunks that never move, so readers need no lock.
class HandleTable {
 public:
  // Requests and messages are created and freed at a high rate and never looked up from
  // their real side, so their tables keep no real -> virtual map.
  explicit HandleTable(HandleKind kind) noexcept
      : m_kind(kind), m_track_real(kind != HandleKind::request && kind != HandleKind::message) {}
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;
  HandleTable(HandleTable&&) = delete;
  HandleTable& operator=(HandleTable&&) = delete;
  ~HandleTable();

  // A new virtual handle for `real`.
  std::uintptr_t add(void* real);
  // The real handle behind a virtual one of this kind; nullptr if unknown.
  [[nodiscard]] void* real(std::uintptr_t virtual_bits) const noexcept;
  // Points a live virtual handle at a different real handle (a rebuild, or MPI
  // replacing the object in place).
  void rebind(std::uintptr_t virtual_bits, void* real);
  // Forgets a virtual handle; its index may be reused.
  void release(std::uintptr_t virtual_bits);
  // Makes `virtual_bits` (of this kind) stand for `real` again, whether it is live or was
  // released (a persistent request whose real side a proxy replaced for one operation;
  // a handle rebuilt after a restart).
  void place(std::uintptr_t virtual_bits, void* real);
  // The virtual handle most recently given out for `real`, or 0.
  [[nodiscard]] std::uintptr_t find(void* real) const;
  // Number of live virtual handles.
  [[nodiscard]] std::size_t live() const;
  // The live virtual handles, in index order.
  [[nodiscard]] std::vector<std::uintptr_t> live_handles() const;

 private:
  static constexpr std::size_t k_chunk_bits = 12;
  static constexpr std::size_t k_chunk_size = std::size_t{1} << k_chunk_bits;
  static constexpr std::size_t k_max_chunks = std::size_t{1} << 16;
  struct Entry {
    std::atomic<void*> real{nullptr};
  };
  using Chunk = std::array<Entry, k_chunk_size>;

  // The entry of a virtual handle of this kind; nullptr if it cannot be one.
  [[nodiscard]] Entry* entry(std::uintptr_t virtual_bits) const noexcept;
  // Drops real -> virtual_bits from the reverse map (if it still points there).
  void forget_real(void* real, std::uintptr_t virtual_bits);

  [[nodiscard]] std::uintptr_t bits_of(std::size_t index) const noexcept {
    return k_virtual_tag | (static_cast<std::uintptr_t>(m_kind) << k_kind_shift) | index;
  }

  HandleKind m_kind;
  bool m_track_real;
  mutable std::mutex m_mutex;
  std::unique_ptr<std::atomic<Chunk*>[]> m_chunks { new std::atomic<Chunk*>[ k_max_chunks ]() };
  std::size_t m_next = 1;  // index 0 is never used
  std::vector<std::size_t> m_free;
  std::unordered_map<void*, std::uintptr_t> m_by_real;
};

HandleTable& handle_table(HandleKind kind) noexcept;

// True for handles MPI defines (MPI_COMM_WORLD, MPI_INT, MPI_SUM, MPI_GROUP_EMPTY, ...).
[[nodiscard]] bool is_predefined(const void* real) noexcept;

// The communicator that stands for MPI_COMM_WORLD (set by the runtime after MPI_Init).
void set_world_mapping(MPI_Comm app_world) noexcept;
[[nodiscard]] MPI_Comm app_world() noexcept;

template <class T>
struct HandleTraits;
#define FTMPI_HANDLE_TRAITS(TYPE, KIND, NULL_VALUE)      \
  template <>                                            \
  struct HandleTraits<TYPE> {                            \
    static constexpr HandleKind kind = HandleKind::KIND; \
    static TYPE null() noexcept { return NULL_VALUE; }   \
  }
FTMPI_HANDLE_TRAITS(MPI_Comm, comm, MPI_COMM_NULL);
FTMPI_HANDLE_TRAITS(MPI_Group, group, MPI_GROUP_NULL);
FTMPI_HANDLE_TRAITS(MPI_Datatype, datatype, MPI_DATATYPE_NULL);
FTMPI_HANDLE_TRAITS(MPI_Op, op, MPI_OP_NULL);
FTMPI_HANDLE_TRAITS(MPI_Request, request, MPI_REQUEST_NULL);
FTMPI_HANDLE_TRAITS(MPI_Info, info, MPI_INFO_NULL);
FTMPI_HANDLE_TRAITS(MPI_Errhandler, errhandler, MPI_ERRHANDLER_NULL);
FTMPI_HANDLE_TRAITS(MPI_Message, message, MPI_MESSAGE_NULL);
#undef FTMPI_HANDLE_TRAITS

template <class T>
[[nodiscard]] std::uintptr_t handle_bits(T handle) noexcept {
  return reinterpret_cast<std::uintptr_t>(handle);  // NOLINT: MPI handles are pointers
}
template <class T>
[[nodiscard]] T handle_from_bits(std::uintptr_t bits) noexcept {
  return reinterpret_cast<T>(bits);  // NOLINT: MPI handles are pointers
}

// The real handle for an application handle.  Handles that are not virtual pass
// through unchanged (predefined ones, or real ones MPI gave a callback), except
// MPI_COMM_WORLD.  An unknown virtual handle becomes the kind's NULL, which MPI rejects
// with its usual error.
template <class T>
[[nodiscard]] T to_real(T app) noexcept {
  const std::uintptr_t bits = handle_bits(app);
  if (!is_virtual_bits(bits)) {
    if constexpr (HandleTraits<T>::kind == HandleKind::comm) {
      if (app == MPI_COMM_WORLD) {
        return app_world();
      }
    }
    return app;
  }
  void* real = handle_table(HandleTraits<T>::kind).real(bits);
  return real != nullptr ? static_cast<T>(real) : HandleTraits<T>::null();
}

// The application's handle for a real one MPI returned: the virtual handle given out
// for it, MPI_COMM_WORLD for the application's world, or the real handle itself.
template <class T>
[[nodiscard]] T to_virtual(T real) noexcept {
  if constexpr (HandleTraits<T>::kind == HandleKind::comm) {
    if (real == app_world() && real != MPI_COMM_NULL) {
      return MPI_COMM_WORLD;
    }
  }
  if (real == HandleTraits<T>::null() || is_predefined(real)) {
    return real;
  }
  const std::uintptr_t bits = handle_table(HandleTraits<T>::kind).find(real);
  return bits != 0 ? handle_from_bits<T>(bits) : real;
}

// A virtual handle for a real one a call just created (NULL and predefined results
// are returned as they are).
template <class T>
[[nodiscard]] T adopt(T real) {
  if (real == HandleTraits<T>::null() || is_predefined(real)) {
    return real;
  }
  return handle_from_bits<T>(handle_table(HandleTraits<T>::kind).add(real));
}

// After a call that may free or replace a handle: `app` was the application's handle,
// `real_after` what MPI left in the real one.  Returns the application's new value.
template <class T>
[[nodiscard]] T update(T app, T real_after) {
  const std::uintptr_t bits = handle_bits(app);
  if (!is_virtual_bits(bits)) {
    return real_after;
  }
  auto& table = handle_table(HandleTraits<T>::kind);
  if (real_after == HandleTraits<T>::null()) {
    table.release(bits);
    return real_after;
  }
  if (table.real(bits) != static_cast<void*>(real_after)) {
    table.rebind(bits, real_after);
  }
  return app;
}

// to_real for a handle a call may free: MPI_COMM_WORLD stays the real MPI_COMM_WORLD,
// so that freeing it fails in MPI as the standard says instead of freeing the
// application's world.
template <class T>
[[nodiscard]] T to_real_inout(T app) noexcept {
  if constexpr (HandleTraits<T>::kind == HandleKind::comm) {
    if (app == MPI_COMM_WORLD) {
      return app;
    }
  }
  return to_real(app);
}

// An array of application handles translated to real ones for one call.
// Up to k_inline handles live on the stack; more go to the heap.
template <class T>
class RealArray {
 public:
  struct OnHeap {};
  RealArray(OnHeap /*tag*/, const T* app, long count) : m_force_heap(true) {
    if (allocate(app, count)) {
      for (std::size_t i = 0; i < m_size; ++i) {
        m_data[i] = to_real(app[i]);
      }
    }
  }
  RealArray(const T* app, long count) {
    if (allocate(app, count)) {
      for (std::size_t i = 0; i < m_size; ++i) {
        m_data[i] = to_real(app[i]);
      }
    }
  }
  RealArray(const RealArray&) = delete;
  RealArray& operator=(const RealArray&) = delete;
  RealArray(RealArray&&) = delete;
  RealArray& operator=(RealArray&&) = delete;
  ~RealArray() = default;

  // Space for `count` handles MPI writes (this RealArray's `app` pointer only says
  // whether the caller gave an array).
  struct Output {};
  RealArray(Output /*tag*/, const T* app, long count) {
    if (allocate(app, count)) {
      for (std::size_t i = 0; i < m_size; ++i) {
        m_data[i] = HandleTraits<T>::null();
      }
    }
  }
  [[nodiscard]] T* data() noexcept { return m_size != 0 ? m_data : nullptr; }
  // Hands the translated array to `request`, for calls that read it until they complete
  // (MPI_Ialltoallw): it is freed when the request is.  Only for arrays made with
  // `on_heap`, whose data() does not move.
  void keep_until_done(MPI_Request request);
  // Applies update() element by element (requests completed and freed by a wait).
  void write_back(T* app) {
    for (std::size_t i = 0; i < m_size; ++i) {
      app[i] = update(app[i], m_data[i]);
    }
  }
  // Stores the virtual handles for what MPI wrote.
  void write_virtual(T* app) const {
    for (std::size_t i = 0; i < m_size; ++i) {
      app[i] = to_virtual(m_data[i]);
    }
  }

 private:
  static constexpr std::size_t k_inline = 16;
  bool allocate(const T* app, long count) {
    if (app == nullptr || count <= 0) {
      return false;
    }
    m_size = static_cast<std::size_t>(count);
    if (m_size > k_inline || m_force_heap) {
      m_heap.resize(m_size);
      m_data = m_heap.data();
    }
    return true;
  }
  bool m_force_heap = false;
  std::size_t m_size = 0;
  T m_inline[k_inline];  // NOLINT: fixed small buffer
  std::vector<T> m_heap;
  T* m_data = m_inline;
};

// Keeps `keep` alive until the virtual request `request` is released.
void keep_with_request(MPI_Request request, std::shared_ptr<void> keep);

template <class T>
void RealArray<T>::keep_until_done(MPI_Request request) {
  if (m_size != 0 && m_force_heap) {
    keep_with_request(request, std::make_shared<std::vector<T>>(std::move(m_heap)));
  }
}

}  // namespace ftmpi
