// The C ABI of libftmpi: every function is noexcept, checks its pointers and returns a
// status value; nothing thrown inside ever reaches a C, Fortran or MPI frame.
#include "ftmpi/ftmpi.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "channel/channel.hpp"
#include "mpi/call_stats.hpp"
#include "mpi/creation_log.hpp"
#include "mpi/forward.hpp"
#include "mpi/handles.hpp"
#include "util/status.hpp"

extern "C" {

FTMPI_API int ftmpi_get_version(int* major, int* minor, int* patch) noexcept {
  if (major != nullptr) {
    *major = FTMPI_VERSION_MAJOR;
  }
  if (minor != nullptr) {
    *minor = FTMPI_VERSION_MINOR;
  }
  if (patch != nullptr) {
    *patch = FTMPI_VERSION_PATCH;
  }
  return FTMPI_SUCCESS;
}

FTMPI_API const char* ftmpi_version_string(void) noexcept {
  return FTMPI_VERSION_STRING;
}

FTMPI_API const char* ftmpi_status_string(int status) noexcept {
  if (status < FTMPI_SUCCESS || status > FTMPI_ERR_INTERNAL) {
    return "unknown status";
  }
  // status_code_name returns views of string literals, so data() is NUL-terminated.
  return ftmpi::status_code_name(static_cast<ftmpi::StatusCode>(status)).data();
}

FTMPI_API int ftmpi_handle_is_virtual(const void* handle, int* is_virtual) noexcept {
  if (is_virtual == nullptr) {
    return FTMPI_ERR_INVALID_ARGUMENT;
  }
  *is_virtual = ftmpi::is_virtual_bits(reinterpret_cast<std::uintptr_t>(handle)) ? 1 : 0;
  return FTMPI_SUCCESS;
}

FTMPI_API int ftmpi_live_handles(int kind, long* count) noexcept {
  if (count == nullptr || kind < FTMPI_HANDLE_COMM || kind > FTMPI_HANDLE_MESSAGE) {
    return FTMPI_ERR_INVALID_ARGUMENT;
  }
  try {
    *count = static_cast<long>(ftmpi::handle_table(static_cast<ftmpi::HandleKind>(kind)).live());
    return FTMPI_SUCCESS;
  } catch (...) {
    return FTMPI_ERR_INTERNAL;
  }
}

FTMPI_API int ftmpi_creation_log_size(long* records) noexcept {
  if (records == nullptr) {
    return FTMPI_ERR_INVALID_ARGUMENT;
  }
  try {
    *records = static_cast<long>(ftmpi::creation_log().size());
    return FTMPI_SUCCESS;
  } catch (...) {
    return FTMPI_ERR_INTERNAL;
  }
}

FTMPI_API int ftmpi_creation_log_text(char* buffer, size_t size, size_t* needed) noexcept {
  if (buffer == nullptr && size != 0) {
    return FTMPI_ERR_INVALID_ARGUMENT;
  }
  try {
    const std::string text = ftmpi::creation_log().describe();
    if (needed != nullptr) {
      *needed = text.size() + 1;
    }
    if (size != 0) {
      const std::size_t n = std::min(size - 1, text.size());
      std::memcpy(buffer, text.data(), n);
      buffer[n] = '\0';
    }
    return FTMPI_SUCCESS;
  } catch (...) {
    return FTMPI_ERR_INTERNAL;
  }
}

FTMPI_API int ftmpi_call_stats(const char* call, uint64_t* calls, uint64_t* ns,
                               uint64_t* bytes) noexcept {
  if (call == nullptr) {
    return FTMPI_ERR_INVALID_ARGUMENT;
  }
  for (std::size_t i = 0; i < ftmpi::k_call_count; ++i) {
    const auto id = static_cast<ftmpi::CallId>(i);
    if (ftmpi::call_info(id).name == std::string_view(call)) {
      const ftmpi::CallTotals totals = ftmpi::call_stats().of(id);
      if (calls != nullptr) {
        *calls = totals.calls;
      }
      if (ns != nullptr) {
        *ns = totals.ns;
      }
      if (bytes != nullptr) {
        *bytes = totals.bytes;
      }
      return FTMPI_SUCCESS;
    }
  }
  return FTMPI_ERR_NOT_FOUND;
}

}  // extern "C"

FTMPI_API int ftmpi_checkpoint(void) noexcept {
  if (!ftmpi::g_forwarding || !ftmpi::forwarding_initialized() || ftmpi::forwarding_finalized()) {
    return FTMPI_ERR_UNSUPPORTED;
  }
  const auto id = static_cast<ftmpi::CallId>(ftmpi::k_call_checkpoint);
  const auto rc = static_cast<int>(ftmpi::forward_words(id, nullptr, 0));
  if (rc == MPI_SUCCESS) {
    return FTMPI_SUCCESS;
  }
  return rc == MPI_ERR_PENDING ? FTMPI_ERR_TIMEOUT : FTMPI_ERR_INTERNAL;
}
