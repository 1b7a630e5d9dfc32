// Status values for ftmpi's runtime paths: a [[nodiscard]] Status and Result<T>.
// Library code returns these instead of throwing; command-line front ends may throw.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "ftmpi/ftmpi.h"

namespace ftmpi {

// One value per ftmpi_status in ftmpi.h, so a Status crosses the C ABI as its code.
enum class StatusCode : int {
  ok = FTMPI_SUCCESS,
  invalid_argument = FTMPI_ERR_INVALID_ARGUMENT,
  not_found = FTMPI_ERR_NOT_FOUND,
  io_error = FTMPI_ERR_IO,
  unsupported = FTMPI_ERR_UNSUPPORTED,
  corrupt = FTMPI_ERR_CORRUPT,
  timeout = FTMPI_ERR_TIMEOUT,
  internal = FTMPI_ERR_INTERNAL,
};

// The short English name of a code ("invalid argument"); never empty.
std::string_view status_code_name(StatusCode code) noexcept;

// The outcome of an operation: ok, or a code with a message for the user that says
// what went wrong and, where it can, what to do about it.  Cheap to move; copyable.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message) : m_code(code), m_message(std::move(message)) {}

  [[nodiscard]] bool ok() const noexcept { return m_code == StatusCode::ok; }
  [[nodiscard]] StatusCode code() const noexcept { return m_code; }
  [[nodiscard]] const std::string& message() const noexcept { return m_message; }
  // "<code name>: <message>", or "ok".
  [[nodiscard]] std::string to_string() const;

  // Prefixes the message with context ("reading manifest: ..."); a no-op on ok.
  Status& with_context(std::string_view context);

  friend bool operator==(const Status& a, const Status& b) noexcept {
    return a.m_code == b.m_code && a.m_message == b.m_message;
  }

 private:
  StatusCode m_code = StatusCode::ok;
  std::string m_message;
};

inline Status ok_status() noexcept {
  return {};
}
Status invalid_argument(std::string message);
Status not_found(std::string message);
Status io_error(std::string message);
Status unsupported(std::string message);
Status corrupt(std::string message);
Status internal_error(std::string message);
// An io_error whose message ends with strerror(errnum).
Status errno_status(std::string_view what, int errnum);

// A value or the Status saying why there is none.  value() on an error is a bug
// (asserted in debug builds); check ok() first.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_data(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : m_data(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(m_data).ok() && "Result built from an ok Status has no value");
  }

  [[nodiscard]] bool ok() const noexcept { return std::holds_alternative<T>(m_data); }
  [[nodiscard]] const T& value() const& { return std::get<T>(m_data); }
  [[nodiscard]] T& value() & { return std::get<T>(m_data); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(m_data)); }
  // The error; an ok Status when there is a value.
  [[nodiscard]] Status status() const { return ok() ? Status{} : std::get<Status>(m_data); }
  [[nodiscard]] T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> m_data;
};

}  // namespace ftmpi

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define FTMPI_RETURN_IF_ERROR(expr)             \
  do {                                          \
    ::ftmpi::Status ftmpi_status_tmp_ = (expr); \
    if (!ftmpi_status_tmp_.ok()) {              \
      return ftmpi_status_tmp_;                 \
    }                                           \
  } while (false)
