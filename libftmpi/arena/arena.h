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

/* The arena's memory replaced by a memfd made ready elsewhere (a migration's arena,
 * filled on the node the process moved to before the downtime: docs/migration.md,
 * "Pre-copy").  Lives in memory the rank proxy shares (the channel).  The proxy writes
 * `path` (where this process opens that memfd, as /proc/PID/fd/N), sets `state` to
 * FTMPI_ARENA_SWAP_GIVEN and sends the signal; the handler maps the memfd over the
 * arena, puts it in place of the arena's descriptor and sets DONE, or FAILED and then
 * waits, inside the handler, for GO: the proxy filled the old arena instead. */
enum {
  FTMPI_ARENA_SWAP_NONE = 0,
  FTMPI_ARENA_SWAP_GIVEN = 1,
  FTMPI_ARENA_SWAP_DONE = 2,
  FTMPI_ARENA_SWAP_FAILED = 3,
  FTMPI_ARENA_SWAP_GO = 4
};
struct ftmpi_arena_swap {
  uint32_t state; /* accessed atomically by both processes */
  char path[60];
};

/* Takes a signal for the swap (SIGRTMAX - 3) unless this process has a handler for it
 * already or FTMPI_ARENA_SWAP is 0; writes it to *signal (0: none).  Should the application set
 * that signal's disposition itself later (sigaction or signal), *signal becomes 0 and the proxy
 * fills the arena the slow way.  0 when there is no arena. */
FTMPI_ARENA_API int ftmpi_arena_swap_on_signal(struct ftmpi_arena_swap* swap, int32_t* signal);
typedef int (*ftmpi_arena_swap_on_signal_fn)(struct ftmpi_arena_swap* swap, int32_t* signal);

#ifdef __cplusplus
}
#endif

#endif
