#include "util/status.hpp"

#include <string.h>

#include <fmt/format.h>

namespace ftmpi {

std::string_view status_code_name(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::ok:
      return "ok";
    case StatusCode::invalid_argument:
      return "invalid argument";
    case StatusCode::not_found:
      return "not found";
    case StatusCode::io_error:
      return "I/O error";
    case StatusCode::unsupported:
      return "unsupported";
    case StatusCode::corrupt:
      return "corrupt data";
    case StatusCode::timeout:
      return "timeout";
    case StatusCode::internal:
      return "internal error";
  }
  return "unknown status";
}

std::string Status::to_string() const {
  if (ok()) {
    return "ok";
  }
  return fmt::format("{}: {}", status_code_name(m_code), m_message);
}

Status& Status::with_context(std::string_view context) {
  if (!ok()) {
    m_message = fmt::format("{}: {}", context, m_message);
  }
  return *this;
}

Status invalid_argument(std::string message) {
  return {StatusCode::invalid_argument, std::move(message)};
}
Status not_found(std::string message) {
  return {StatusCode::not_found, std::move(message)};
}
Status io_error(std::string message) {
  return {StatusCode::io_error, std::move(message)};
}
Status unsupported(std::string message) {
  return {StatusCode::unsupported, std::move(message)};
}
Status corrupt(std::string message) {
  return {StatusCode::corrupt, std::move(message)};
}
Status internal_error(std::string message) {
  return {StatusCode::internal, std::move(message)};
}

Status errno_status(std::string_view what, int errnum) {
  char buffer[256] = {};
  // GNU strerror_r: returns the message, which may or may not be in `buffer`.
  const char* text = ::strerror_r(errnum, buffer, sizeof buffer);
  return io_error(fmt::format("{}: {}", what, text));
}

}  // namespace ftmpi
