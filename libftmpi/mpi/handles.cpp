#include "mpi/handles.hpp"

#include <stdexcept>
#include <unordered_set>

namespace ftmpi {
namespace {

std::atomic<MPI_Comm> g_app_world{MPI_COMM_NULL};

// Data that must live as long as a request (see RealArray::keep_until_done).
std::mutex g_kept_mutex;
std::unordered_map<std::uintptr_t, std::vector<std::shared_ptr<void>>>& kept() {
  static std::unordered_map<std::uintptr_t, std::vector<std::shared_ptr<void>>> map;
  return map;
}
std::atomic<bool> g_any_kept{false};

// Every predefined handle of the MPI library the application was built against.
const std::unordered_set<const void*>& predefined_set() {
  static const std::unordered_set<const void*> set = [] {
    const void* handles[] = {
        MPI_COMM_WORLD, MPI_COMM_SELF, MPI_GROUP_EMPTY, MPI_ERRORS_ARE_FATAL, MPI_ERRORS_RETURN,
        MPI_INFO_ENV, MPI_MESSAGE_NO_PROC,
        // operations
        MPI_MAX, MPI_MIN, MPI_SUM, MPI_PROD, MPI_LAND, MPI_BAND, MPI_LOR, MPI_BOR, MPI_LXOR,
        MPI_BXOR, MPI_MAXLOC, MPI_MINLOC, MPI_REPLACE, MPI_NO_OP,
        // datatypes
        MPI_CHAR, MPI_SIGNED_CHAR, MPI_UNSIGNED_CHAR, MPI_BYTE, MPI_SHORT, MPI_UNSIGNED_SHORT,
        MPI_INT, MPI_UNSIGNED, MPI_LONG, MPI_UNSIGNED_LONG, MPI_LONG_LONG_INT,
        MPI_UNSIGNED_LONG_LONG, MPI_FLOAT, MPI_DOUBLE, MPI_LONG_DOUBLE, MPI_WCHAR, MPI_PACKED,
        MPI_C_BOOL, MPI_INT8_T, MPI_INT16_T, MPI_INT32_T, MPI_INT64_T, MPI_UINT8_T, MPI_UINT16_T,
        MPI_UINT32_T, MPI_UINT64_T, MPI_C_COMPLEX, MPI_C_FLOAT_COMPLEX, MPI_C_DOUBLE_COMPLEX,
        MPI_C_LONG_DOUBLE_COMPLEX, MPI_AINT, MPI_OFFSET, MPI_COUNT, MPI_FLOAT_INT, MPI_DOUBLE_INT,
        MPI_LONG_INT, MPI_2INT, MPI_SHORT_INT, MPI_LONG_DOUBLE_INT, MPI_CXX_BOOL,
        MPI_CXX_FLOAT_COMPLEX, MPI_CXX_DOUBLE_COMPLEX, MPI_CXX_LONG_DOUBLE_COMPLEX, MPI_CHARACTER,
        MPI_LOGICAL, MPI_INTEGER, MPI_REAL, MPI_DOUBLE_PRECISION, MPI_COMPLEX, MPI_DOUBLE_COMPLEX,
        MPI_2REAL, MPI_2DOUBLE_PRECISION, MPI_2INTEGER};
    return std::unordered_set<const void*>(std::begin(handles), std::end(handles));
  }();
  return set;
}

}  // namespace

HandleTable::~HandleTable() {
  for (std::size_t c = 0; c < k_max_chunks; ++c) {
    delete m_chunks[c].load(std::memory_order_relaxed);
  }
}

std::uintptr_t HandleTable::add(void* real) {
  const std::lock_guard lock(m_mutex);
  std::size_t index = 0;
  if (!m_free.empty()) {
    index = m_free.back();
    m_free.pop_back();
  } else {
    index = m_next++;
    const std::size_t chunk = index >> k_chunk_bits;
    if (chunk >= k_max_chunks) {
      throw std::length_error("ftmpi: too many live MPI handles");
    }
    if (m_chunks[chunk].load(std::memory_order_relaxed) == nullptr) {
      m_chunks[chunk].store(new Chunk(), std::memory_order_release);
    }
  }
  Chunk* chunk = m_chunks[index >> k_chunk_bits].load(std::memory_order_relaxed);
  (*chunk)[index & (k_chunk_size - 1)].real.store(real, std::memory_order_release);
  const std::uintptr_t bits = bits_of(index);
  if (m_track_real) {
    m_by_real[real] = bits;
  }
  return bits;
}

HandleTable::Entry* HandleTable::entry(std::uintptr_t virtual_bits) const noexcept {
  if (((virtual_bits >> k_kind_shift) & 0xFF) != static_cast<std::uintptr_t>(m_kind)) {
    return nullptr;
  }
  const std::size_t index = virtual_bits & k_index_mask;
  const std::size_t chunk = index >> k_chunk_bits;
  if (chunk >= k_max_chunks) {
    return nullptr;
  }
  Chunk* entries = m_chunks[chunk].load(std::memory_order_acquire);
  return entries == nullptr ? nullptr : &(*entries)[index & (k_chunk_size - 1)];
}

void* HandleTable::real(std::uintptr_t virtual_bits) const noexcept {
  const Entry* e = entry(virtual_bits);
  return e == nullptr ? nullptr : e->real.load(std::memory_order_acquire);
}

void HandleTable::rebind(std::uintptr_t virtual_bits, void* real) {
  const std::lock_guard lock(m_mutex);
  Entry* e = entry(virtual_bits);
  if (e == nullptr) {
    return;
  }
  forget_real(e->real.load(), virtual_bits);
  e->real.store(real, std::memory_order_release);
  if (m_track_real) {
    m_by_real[real] = virtual_bits;
  }
}

void HandleTable::release(std::uintptr_t virtual_bits) {
  const std::lock_guard lock(m_mutex);
  Entry* e = entry(virtual_bits);
  if (e == nullptr || e->real.load() == nullptr) {
    return;  // unknown, or already released
  }
  forget_real(e->real.load(), virtual_bits);
  e->real.store(nullptr, std::memory_order_release);
  m_free.push_back(virtual_bits & k_index_mask);
  if (m_kind == HandleKind::request && g_any_kept.load(std::memory_order_relaxed)) {
    const std::lock_guard kept_lock(g_kept_mutex);
    kept().erase(virtual_bits);
  }
}

void HandleTable::place(std::uintptr_t virtual_bits, void* real) {
  if (((virtual_bits >> k_kind_shift) & 0xFF) != static_cast<std::uintptr_t>(m_kind)) {
    return;
  }
  const std::lock_guard lock(m_mutex);
  const std::size_t index = virtual_bits & k_index_mask;
  const std::size_t chunk = index >> k_chunk_bits;
  if (chunk >= k_max_chunks) {
    return;
  }
  if (index >= m_next) {
    for (std::size_t i = m_next; i < index; ++i) {
      m_free.push_back(i);  // indices skipped over stay available
    }
    for (std::size_t c = m_next >> k_chunk_bits; c <= chunk; ++c) {
      if (m_chunks[c].load(std::memory_order_relaxed) == nullptr) {
        m_chunks[c].store(new Chunk(), std::memory_order_release);
      }
    }
    m_next = index + 1;
  }
  std::erase(m_free, index);
  Entry& e = (*m_chunks[chunk].load(std::memory_order_relaxed))[index & (k_chunk_size - 1)];
  if (void* old = e.real.load(); old != nullptr) {
    forget_real(old, virtual_bits);
  }
  e.real.store(real, std::memory_order_release);
  if (m_track_real) {
    m_by_real[real] = virtual_bits;
  }
}

void HandleTable::forget_real(void* real, std::uintptr_t virtual_bits) {
  if (auto it = m_by_real.find(real); it != m_by_real.end() && it->second == virtual_bits) {
    m_by_real.erase(it);
  }
}

std::uintptr_t HandleTable::find(void* real) const {
  const std::lock_guard lock(m_mutex);
  const auto it = m_by_real.find(real);
  return it == m_by_real.end() ? 0 : it->second;
}

std::size_t HandleTable::live() const {
  const std::lock_guard lock(m_mutex);
  return m_next - 1 - m_free.size();
}

std::vector<std::uintptr_t> HandleTable::live_handles() const {
  const std::lock_guard lock(m_mutex);
  std::vector<std::uintptr_t> out;
  for (std::size_t index = 1; index < m_next; ++index) {
    const Chunk* chunk = m_chunks[index >> k_chunk_bits].load(std::memory_order_acquire);
    if (chunk != nullptr && (*chunk)[index & (k_chunk_size - 1)].real.load() != nullptr) {
      out.push_back(bits_of(index));
    }
  }
  return out;
}

HandleTable& handle_table(HandleKind kind) noexcept {
  static HandleTable tables[k_handle_kinds] = {
      HandleTable(HandleKind::comm),   HandleTable(HandleKind::comm),
      HandleTable(HandleKind::group),  HandleTable(HandleKind::datatype),
      HandleTable(HandleKind::op),     HandleTable(HandleKind::request),
      HandleTable(HandleKind::info),   HandleTable(HandleKind::errhandler),
      HandleTable(HandleKind::message)};
  return tables[static_cast<std::size_t>(kind)];
}

void keep_with_request(MPI_Request request, std::shared_ptr<void> keep) {
  const std::uintptr_t bits = handle_bits(request);
  if (!is_virtual_bits(bits)) {
    return;  // a request that never was virtual: the call failed or completed at once
  }
  const std::lock_guard lock(g_kept_mutex);
  kept()[bits].push_back(std::move(keep));
  g_any_kept.store(true, std::memory_order_relaxed);
}

bool is_predefined(const void* real) noexcept {
  return predefined_set().count(real) != 0;
}

void set_world_mapping(MPI_Comm app_world) noexcept {
  g_app_world.store(app_world);
}

MPI_Comm app_world() noexcept {
  return g_app_world.load(std::memory_order_relaxed);
}

}  // namespace ftmpi
