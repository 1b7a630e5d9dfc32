/*
 * app_common.h - what the example MPI applications share: option parsing, the
 * per-iteration sleep, the checksum line, block distribution and a reproducible sum.
 *
 * Header-only so that each example stays one self-contained C file plus this header,
 * easy to build outside the project (tests build one against the installed package).
 */
#ifndef FTMPI_EXAMPLES_APP_COMMON_H
#define FTMPI_EXAMPLES_APP_COMMON_H

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One integer option of an example application. */
typedef struct app_option {
  const char* name; /* long name, e.g. "size" for --size */
  char short_name;  /* e.g. 'n' for -n */
  long* value;      /* in: default, out: parsed value */
  long min;
  long max;
  const char* help;
} app_option;

/* Parses argv against `opts` (plus -h/--help).  Every rank parses the same argv, so all
 * agree; only rank 0 prints.  Returns 0 to run, 1 after --help (exit 0), 2 on a bad
 * command line (exit 2). */
static inline int app_parse_options(int argc, char** argv, const char* app, const char* summary,
                                    app_option* opts, int nopts, int rank) {
  struct option longopts[32];
  char shortopts[80];
  int ns = 0;
  if (nopts > 30) {
    return 2;
  }
  for (int i = 0; i < nopts; ++i) {
    longopts[i].name = opts[i].name;
    longopts[i].has_arg = required_argument;
    longopts[i].flag = NULL;
    longopts[i].val = opts[i].short_name;
    shortopts[ns++] = opts[i].short_name;
    shortopts[ns++] = ':';
  }
  longopts[nopts] = (struct option){"help", no_argument, NULL, 'h'};
  longopts[nopts + 1] = (struct option){NULL, 0, NULL, 0};
  shortopts[ns++] = 'h';
  shortopts[ns] = '\0';

  opterr = 0;
  optind = 1;
  int c = 0;
  while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == 'h') {
      if (rank == 0) {
        printf("Usage: %s [OPTIONS]\n%s\n\nOptions:\n", app, summary);
        for (int i = 0; i < nopts; ++i) {
          printf("  -%c, --%-10s %s (default %ld, %ld..%ld)\n", opts[i].short_name, opts[i].name,
                 opts[i].help, *opts[i].value, opts[i].min, opts[i].max);
        }
        printf(
            "  -h, --help         show this help\n\n"
            "The last line of output is 'checksum: VALUE'.\n");
      }
      return 1;
    }
    int matched = 0;
    for (int i = 0; i < nopts; ++i) {
      if (c != opts[i].short_name) {
        continue;
      }
      matched = 1;
      char* end = NULL;
      errno = 0;
      const long v = strtol(optarg, &end, 10);
      if (errno != 0 || end == optarg || *end != '\0' || v < opts[i].min || v > opts[i].max) {
        if (rank == 0) {
          fprintf(stderr, "%s: --%s must be an integer in %ld..%ld, not '%s'\n", app, opts[i].name,
                  opts[i].min, opts[i].max, optarg);
        }
        return 2;
      }
      *opts[i].value = v;
    }
    if (!matched) {
      if (rank == 0) {
        fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", app,
                argv[optind - 1]);
      }
      return 2;
    }
  }
  if (optind < argc) {
    if (rank == 0) {
      fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", app, argv[optind]);
    }
    return 2;
  }
  return 0;
}

/* With --time 1, the seconds of the main loop, between a barrier before it and one
 * after it, reported by rank 0 on stderr as "loop seconds: S": what a run costs without
 * its start and its end (bench/overhead.sh compares it between launchers).  Without it,
 * no barrier and nothing printed. */
static inline double app_loop_start(long timing) {
  if (timing == 0) {
    return 0.0;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return MPI_Wtime();
}

static inline void app_loop_end(long timing, double start, int rank) {
  if (timing == 0) {
    return;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    fprintf(stderr, "loop seconds: %.6f\n", MPI_Wtime() - start);
  }
}

#define APP_TIME_OPTION(timing) \
  { "time", 'T', &(timing), 0, 1, "1: report the main loop's seconds on stderr" }

/* Sleeps `ms` milliseconds (0: no sleep), resuming after signals. */
static inline void app_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* The final line every example prints: exact for bit-for-bit comparison. */
static inline void app_print_checksum(double value) {
  printf("checksum: %.17g\n", value);
  fflush(stdout);
}

/* The part [*begin, *end) of 0..n-1 that member `i` of `parts` owns in a block
 * distribution (the first n % parts members get one more). */
static inline void app_block_range(long n, int parts, int i, long* begin, long* end) {
  const long base = n / parts;
  const long extra = n % parts;
  *begin = i * base + (i < extra ? i : extra);
  *end = *begin + base + (i < extra ? 1 : 0);
}

/* Column tile width of the reproducible sum: columns are distributed in whole tiles. */
#define APP_TILE 8

/*
 * Reproducible sum over a 2-D field distributed in blocks over a pr x pc process grid:
 * the result is bit-identical for every process grid, because every floating-point
 * addition happens in one fixed order:
 *   1. per global row and column tile of APP_TILE columns, the values (or products
 *      a*b when b != NULL) summed left to right, starting from 0.0;
 *   2. per global row, the tile sums in tile order;
 *   3. the row sums in row order.
 * MPI_Allreduce moves the partial sums: each slot has exactly one non-zero
 * contributor, so the MPI sums are exact whatever order MPI adds in.
 *
 * a, b:     local fields, `rows` x `ntiles_local*APP_TILE` values at a row stride `ld`
 * row0:     global index of the first local row; nrows_global: total rows
 * tile0:    global index of the first local tile; ntiles_global: total tiles
 * row_comm: the ranks that own the same rows; col_comm: the ranks that own the same tiles
 * Collective over both communicators.  Returns the sum on every rank.
 */
static inline double app_repro_sum(const double* a, const double* b, long ld, long rows, long row0,
                                   long nrows_global, long tile0, long ntiles_local,
                                   long ntiles_global, MPI_Comm row_comm, MPI_Comm col_comm) {
  double* tiles = calloc((size_t)(rows * ntiles_global), sizeof(double));
  double* row_sums = calloc((size_t)nrows_global, sizeof(double));
  if (tiles == NULL || row_sums == NULL) {
    fprintf(stderr, "app_repro_sum: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (long r = 0; r < rows; ++r) {
    for (long t = 0; t < ntiles_local; ++t) {
      double s = 0.0;
      for (long c = t * APP_TILE; c < (t + 1) * APP_TILE; ++c) {
        s += b != NULL ? a[r * ld + c] * b[r * ld + c] : a[r * ld + c];
      }
      tiles[r * ntiles_global + tile0 + t] = s;
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, tiles, (int)(rows * ntiles_global), MPI_DOUBLE, MPI_SUM, row_comm);
  for (long r = 0; r < rows; ++r) {
    double s = 0.0;
    for (long t = 0; t < ntiles_global; ++t) {
      s += tiles[r * ntiles_global + t];
    }
    row_sums[row0 + r] = s;
  }
  MPI_Allreduce(MPI_IN_PLACE, row_sums, (int)nrows_global, MPI_DOUBLE, MPI_SUM, col_comm);
  double total = 0.0;
  for (long r = 0; r < nrows_global; ++r) {
    total += row_sums[r];
  }
  free(tiles);
  free(row_sums);
  return total;
}

#endif /* FTMPI_EXAMPLES_APP_COMMON_H */
