// The C ABI of libftmpi: every function is noexcept, checks its pointers and returns a
// status value; nothing thrown inside ever reaches a C, Fortran or MPI frame.
#include "ftmpi/ftmpi.h"

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

}  // extern "C"
