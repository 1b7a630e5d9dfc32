/*
 * memhog - holds a given number of MiB per rank and rewrites all of it (or its first
 * --write-mib MiB) every iteration, for sizing checkpoints and migrations (every page
 * it rewrites is dirty after each iteration; the rest is read only).
 *
 * Each iteration every rank updates each 64-bit word with a multiply-xorshift step,
 * folds its memory into one word and the ranks combine their words with MPI_Allreduce
 * (integer sum, exact).  The checksum depends on the rank count: every rank holds its
 * own data, seeded by its rank.
 */
#include <stdint.h>

#include "app_common.h"

static uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  long mib = 64;
  long iters = 10;
  long sleep_ms = 0;
  long timing = 0;
  long write_mib = 0;
  app_option opts[] = {
      {"mib", 'm', &mib, 1, 1L << 20, "MiB of memory per rank"},
      {"iters", 'i', &iters, 0, LONG_MAX / 2, "iterations (each rewrites all memory)"},
      {"sleep-ms", 's', &sleep_ms, 0, 3600000, "sleep after each iteration (milliseconds)"},
      {"write-mib", 'w', &write_mib, 0, 1L << 20,
       "MiB rewritten each iteration, the first ones (0: all); the rest is only read"},
      APP_TIME_OPTION(timing),
  };
  const int parsed = app_parse_options(argc, argv, "memhog",
                                       "Holds and rewrites memory on every rank.", opts, 5, rank);
  if (parsed != 0) {
    MPI_Finalize();
    return parsed == 1 ? 0 : 2;
  }
  const size_t words = (size_t)mib * (1024 * 1024 / sizeof(uint64_t));
  const size_t written = write_mib > 0 && write_mib < mib
                             ? (size_t)write_mib * (1024 * 1024 / sizeof(uint64_t))
                             : words;
  uint64_t* mem = malloc(words * sizeof(uint64_t));
  if (mem == NULL) {
    fprintf(stderr, "memhog: rank %d: cannot allocate %ld MiB\n", rank, mib);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (size_t w = 0; w < words; ++w) {
    mem[w] = mix(((uint64_t)rank << 40) ^ (uint64_t)w);
  }
  uint64_t checksum = 0;
  const double loop_start = app_loop_start(timing);
  for (long it = 0; it < iters; ++it) {
    const uint64_t salt = mix((uint64_t)it + 1);
    uint64_t local = 0;
    for (size_t w = 0; w < words; ++w) {
      uint64_t v = mem[w] * 0x9e3779b97f4a7c15ULL + salt;
      v ^= v >> 29;
      if (w < written) {
        mem[w] = v;
      }
      local += v * (2 * (uint64_t)w + 1);
    }
    uint64_t total = 0;
    MPI_Allreduce(&local, &total, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    checksum = checksum * 31 + total;
    app_sleep_ms(sleep_ms);
  }
  app_loop_end(timing, loop_start, rank);
  if (rank == 0) {
    printf("memhog: mib_per_rank=%ld iters=%ld ranks=%d\n", mib, iters, size);
    printf("checksum: %llu\n", (unsigned long long)checksum);
    fflush(stdout);
  }
  free(mem);
  MPI_Finalize();
  return 0;
}
