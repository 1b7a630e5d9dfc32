/*
 * ftmpi.h - the public C API of libftmpi.
 *
 * Every function here is safe to call from C, C++ and Fortran (through ISO_C_BINDING):
 * none throws, each checks its pointer arguments and reports failure by returning an
 * ftmpi_status value.  Functions are thread-safe unless their comment says otherwise.
 */
#ifndef FTMPI_FTMPI_H
#define FTMPI_FTMPI_H

#include <stddef.h>
#include <stdint.h>

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

/* --- Checkpoints (transparent mode) ------------------------------------------------ */

/* Asks for a checkpoint of the whole job and returns when one that started after the
 * call has completed (the calling rank takes part in it; the other ranks are
 * interrupted wherever they are).  Not collective: any rank may call it, at any time
 * after MPI_Init and before MPI_Finalize.  FTMPI_ERR_TIMEOUT when the job was quiesced
 * but could not be checkpointed at that moment (a rank held non-blocking requests or was
 * half-way through a send or collective; the job goes on; try again later).
 * FTMPI_ERR_UNSUPPORTED unless the program runs under `ftmpi-launch --mode transparent`. */
FTMPI_API int ftmpi_checkpoint(void) FTMPI_NOEXCEPT;

/* --- Introspection of the MPI interposition (for tools, debugging and tests) ------- */

/* Kinds of MPI handles libftmpi virtualises. */
typedef enum ftmpi_handle_kind {
  FTMPI_HANDLE_COMM = 1,
  FTMPI_HANDLE_GROUP = 2,
  FTMPI_HANDLE_DATATYPE = 3,
  FTMPI_HANDLE_OP = 4,
  FTMPI_HANDLE_REQUEST = 5,
  FTMPI_HANDLE_INFO = 6,
  FTMPI_HANDLE_ERRHANDLER = 7,
  FTMPI_HANDLE_MESSAGE = 8
} ftmpi_handle_kind;

/* Sets *is_virtual to 1 when `handle` (an MPI handle's value, e.g. (void*)comm) is a
 * virtual handle libftmpi gave out, else 0. */
FTMPI_API int ftmpi_handle_is_virtual(const void* handle, int* is_virtual) FTMPI_NOEXCEPT;

/* Number of live virtual handles of one kind in this process. */
FTMPI_API int ftmpi_live_handles(int kind, long* count) FTMPI_NOEXCEPT;

/* Number of records in this process's creation log. */
FTMPI_API int ftmpi_creation_log_size(long* records) FTMPI_NOEXCEPT;

/* The creation log as text, one call per line.  Writes at most `size` bytes including
 * the terminating NUL (truncating); *needed (if not NULL) gets the full size. */
FTMPI_API int ftmpi_creation_log_text(char* buffer, size_t size, size_t* needed) FTMPI_NOEXCEPT;

/* Totals of one MPI function in this process ("MPI_Send"): calls, nanoseconds inside
 * it and bytes it sent.  FTMPI_ERR_NOT_FOUND for a name ftmpi does not cover.  Any of
 * the output pointers may be NULL. */
FTMPI_API int ftmpi_call_stats(const char* call, uint64_t* calls, uint64_t* ns,
                               uint64_t* bytes) FTMPI_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FTMPI_FTMPI_H */
