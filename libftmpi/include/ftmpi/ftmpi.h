/*
 * ftmpi.h - the public C API of libftmpi.
 *
 * Every function here is safe to call from C, C++ and Fortran (through ISO_C_BINDING):
 * none throws, each checks its pointer arguments and reports failure by returning an
 * ftmpi_status value.  Functions are thread-safe unless their comment says otherwise.
 */
#ifndef FTMPI_FTMPI_H
#define FTMPI_FTMPI_H

#include "ftmpi/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FTMPI_API __attribute__((visibility("default")))
#else
#define FTMPI_API
#endif

/* C++ callers see every function as noexcept: none lets an exception out. */
#ifdef __cplusplus
#define FTMPI_NOEXCEPT noexcept
#else
#define FTMPI_NOEXCEPT
#endif

/* Status values returned by every ftmpi_ function.  0 is success; the others are stable
 * across releases (new ones are only ever appended). */
typedef enum ftmpi_status {
  FTMPI_SUCCESS = 0,
  FTMPI_ERR_INVALID_ARGUMENT = 1, /* a null pointer or an out-of-range value */
  FTMPI_ERR_NOT_FOUND = 2,        /* a file, job, node or checkpoint that does not exist */
  FTMPI_ERR_IO = 3,               /* a read, write or system call failed */
  FTMPI_ERR_UNSUPPORTED = 4,      /* the request is valid but this build cannot do it */
  FTMPI_ERR_CORRUPT = 5,          /* on-disk data failed validation */
  FTMPI_ERR_TIMEOUT = 6,          /* an operation did not complete in time */
  FTMPI_ERR_INTERNAL = 7          /* a bug in ftmpi: please report it */
} ftmpi_status;

/* Stores the library's version (the one loaded at run time, which may differ from
 * FTMPI_VERSION_* the caller was compiled against).  Any pointer may be NULL. */
FTMPI_API int ftmpi_get_version(int* major, int* minor, int* patch) FTMPI_NOEXCEPT;

/* The library's version as "MAJOR.MINOR.PATCH"; a static string, never NULL. */
FTMPI_API const char* ftmpi_version_string(void) FTMPI_NOEXCEPT;

/* A short English description of a status value; a static string, never NULL. */
FTMPI_API const char* ftmpi_status_string(int status) FTMPI_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FTMPI_FTMPI_H */
