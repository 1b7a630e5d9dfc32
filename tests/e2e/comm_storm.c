/*
 * comm_storm: communicator constructors in a loop, for checkpoints that arrive while
 * ranks are inside them.  Each iteration builds, with uneven work before each call so
 * that ranks reach it at different times: MPI_Comm_split (two halves), MPI_Comm_dup,
 * MPI_Cart_create, MPI_Comm_create_group (the even ranks), MPI_Intercomm_create
 * between the halves and MPI_Intercomm_merge of it; a reduction on each adds to a
 * checksum, and everything is freed.  Needs 2 ranks or more.
 *   comm_storm [ITERATIONS]   rank 0 prints "checksum: X" last
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int rank = -1;
static int size = -1;
static volatile double sink; /* keeps busy()'s work */

/* Some local work whose length depends on the rank and the iteration. */
static double busy(int iteration) {
  double x = 0.5;
  const long steps = 2000L * (1 + (rank * 7 + iteration * 3) % 5);
  for (long i = 0; i < steps; ++i) {
    x = 3.9 * x * (1.0 - x);
  }
  return x;
}

static double sum_over(MPI_Comm comm, double value) {
  double total = 0;
  MPI_Allreduce(&value, &total, 1, MPI_DOUBLE, MPI_SUM, comm);
  return total;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long iterations = argc > 1 ? atol(argv[1]) : 200;
  if (size < 2 || iterations < 1) {
    if (rank == 0) {
      fprintf(stderr, "usage: comm_storm [ITERATIONS] on 2 ranks or more\n");
    }
    MPI_Finalize();
    return 2;
  }
  MPI_Group world_group;
  MPI_Comm_group(MPI_COMM_WORLD, &world_group);
  double checksum = 0;
  for (long it = 0; it < iterations; ++it) {
    const int i = (int)it;
    const int half = rank < size / 2 ? 0 : 1;
    const double mine = (double)(rank + 1) * (double)(it + 1);

    sink = busy(i);
    MPI_Comm halves;
    MPI_Comm_split(MPI_COMM_WORLD, half, size - rank, &halves);
    checksum += sum_over(halves, mine);

    sink = busy(i + 1);
    MPI_Comm dup;
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    checksum += 2 * sum_over(dup, mine);

    sink = busy(i + 2);
    MPI_Comm ring;
    const int dims[1] = {size};
    const int periods[1] = {1};
    MPI_Cart_create(MPI_COMM_WORLD, 1, dims, periods, 0, &ring);
    int left = 0;
    int right = 0;
    MPI_Cart_shift(ring, 0, 1, &left, &right);
    double from_left = 0;
    MPI_Sendrecv(&mine, 1, MPI_DOUBLE, right, 7, &from_left, 1, MPI_DOUBLE, left, 7, ring,
                 MPI_STATUS_IGNORE);
    checksum += 3 * sum_over(ring, from_left);

    sink = busy(i + 3);
    if (rank % 2 == 0) {
      int evens[64];
      int n = 0;
      for (int r = 0; r < size && n < 64; r += 2) {
        evens[n++] = r;
      }
      MPI_Group even_group;
      MPI_Group_incl(world_group, n, evens, &even_group);
      MPI_Comm even;
      MPI_Comm_create_group(MPI_COMM_WORLD, even_group, 11, &even);
      checksum += 5 * sum_over(even, mine);
      MPI_Comm_free(&even);
      MPI_Group_free(&even_group);
    }

    sink = busy(i + 4);
    MPI_Comm inter;
    /* Each half's rank 0 is its highest world rank (the split's keys reverse the order). */
    const int remote_leader = half == 0 ? size - 1 : size / 2 - 1;
    MPI_Intercomm_create(halves, 0, MPI_COMM_WORLD, remote_leader, 13, &inter);
    double remote_sum = 0;
    MPI_Allreduce(&mine, &remote_sum, 1, MPI_DOUBLE, MPI_SUM, inter);
    checksum += 7 * sum_over(MPI_COMM_WORLD, remote_sum);
    MPI_Comm merged;
    MPI_Intercomm_merge(inter, half, &merged);
    checksum += 11 * sum_over(merged, mine);

    MPI_Comm_free(&merged);
    MPI_Comm_free(&inter);
    MPI_Comm_free(&ring);
    MPI_Comm_free(&dup);
    MPI_Comm_free(&halves);
  }
  MPI_Group_free(&world_group);
  double all = 0;
  MPI_Reduce(&checksum, &all, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    printf("comm_storm: %ld iterations on %d ranks\n", iterations, size);
    printf("checksum: %.6f\n", all);
  }
  MPI_Finalize();
  return 0;
}
