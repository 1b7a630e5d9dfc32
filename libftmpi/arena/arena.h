/*
 * arena.h - what libftmpi-arena exports besides malloc and its family: how libftmpi
 * (in the application) learns where the arena is, to tell its rank proxy.
 */
#ifndef FTMPI_ARENA_H
#define FTMPI_ARENA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FTMPI_ARENA_API __attribute__((visibility("default")))

/* Makes the arena if this process has none yet and may have one (transparent mode,
 * FTMPI_ARENA not 0); returns 1 and its memfd, address and size, or 0 when there is
 * none.  Pointers must not be NULL. */
FTMPI_ARENA_API int ftmpi_arena_describe(int* fd, uint64_t* base, uint64_t* bytes);
typedef int (*ftmpi_arena_describe_fn)(int* fd, uint64_t* base, uint64_t* bytes);

#ifdef __cplusplus
}
#endif

#endif
