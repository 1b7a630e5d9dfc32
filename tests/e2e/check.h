/*
 * check.h: the CHECK macro of the e2e test programs.  CHECK(cond, fmt, ...) counts a
 * check and, when `cond` is false, prints "rank R, line L: <message>" on stderr and
 * counts a failure.  The program defines `rank` (its MPI rank) before including this.
 */
#ifndef FTMPI_TESTS_E2E_CHECK_H
#define FTMPI_TESTS_E2E_CHECK_H

#include <stdio.h>

static int checks = 0;
static int failures = 0;

#define CHECK(cond, ...)                                     \
  do {                                                       \
    ++checks;                                                \
    if (!(cond)) {                                           \
      fprintf(stderr, "rank %d, line %d: ", rank, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                          \
      fprintf(stderr, "\n");                                 \
      ++failures;                                            \
    }                                                        \
  } while (0)

#endif
