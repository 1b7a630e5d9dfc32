/*
 * jacobi2d - 2-D heat equation by Jacobi iteration on an N x N grid.
 *
 * The grid is decomposed in blocks over a Cartesian process grid (MPI_Dims_create,
 * MPI_Cart_create); each iteration exchanges halos with MPI_Sendrecv (rows contiguous,
 * columns through an MPI_Type_vector) and reduces the largest update with MPI_Allreduce.
 * Boundaries: 1.0 above the grid, a linear ramp on the left, 0.0 right and below.
 *
 * The checksum (sum of the final grid) is bit-identical for every rank count: each
 * point's update is the same arithmetic wherever it is computed, and the sum uses a
 * fixed order (app_repro_sum).
 */
#include "app_common.h"

#define AT(u, i, j) (u)[(i)*ld + (j)]

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  long n = 256;
  long iters = 100;
  long sleep_ms = 0;
  long timing = 0;
  app_option opts[] = {
      {"size", 'n', &n, APP_TILE, 1L << 15, "grid points per side (a multiple of 8)"},
      {"iters", 'i', &iters, 0, LONG_MAX / 2, "Jacobi iterations"},
      {"sleep-ms", 's', &sleep_ms, 0, 3600000, "sleep after each iteration (milliseconds)"},
      APP_TIME_OPTION(timing),
  };
  const int parsed = app_parse_options(
      argc, argv, "jacobi2d", "2-D heat stencil on a Cartesian process grid.", opts, 4, rank);
  if (parsed != 0) {
    MPI_Finalize();
    return parsed == 1 ? 0 : 2;
  }

  int dims[2] = {0, 0};
  MPI_Dims_create(size, 2, dims);
  const long ntiles = n / APP_TILE;
  if (n % APP_TILE != 0 || dims[0] > n || dims[1] > ntiles) {
    if (rank == 0) {
      fprintf(stderr,
              "jacobi2d: --size %ld must be a multiple of %d with at least %d rows and %d "
              "column tiles for a %dx%d process grid\n",
              n, APP_TILE, dims[0], dims[1], dims[0], dims[1]);
    }
    MPI_Finalize();
    return 2;
  }
  int periods[2] = {0, 0};
  MPI_Comm cart = MPI_COMM_NULL;
  MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 1, &cart);
  int cart_rank = 0;
  int coords[2] = {0, 0};
  MPI_Comm_rank(cart, &cart_rank);
  MPI_Cart_coords(cart, cart_rank, 2, coords);
  int up = MPI_PROC_NULL;
  int down = MPI_PROC_NULL;
  int left = MPI_PROC_NULL;
  int right = MPI_PROC_NULL;
  MPI_Cart_shift(cart, 0, 1, &up, &down);
  MPI_Cart_shift(cart, 1, 1, &left, &right);
  MPI_Comm row_comm = MPI_COMM_NULL; /* same process row: same grid rows */
  MPI_Comm col_comm = MPI_COMM_NULL; /* same process column: same column tiles */
  const int keep_cols[2] = {0, 1};
  const int keep_rows[2] = {1, 0};
  MPI_Cart_sub(cart, keep_cols, &row_comm);
  MPI_Cart_sub(cart, keep_rows, &col_comm);

  long row0 = 0;
  long row1 = 0;
  long tile0 = 0;
  long tile1 = 0;
  app_block_range(n, dims[0], coords[0], &row0, &row1);
  app_block_range(ntiles, dims[1], coords[1], &tile0, &tile1);
  const long rows = row1 - row0;
  const long cols = (tile1 - tile0) * APP_TILE;
  const long col0 = tile0 * APP_TILE;
  const long ld = cols + 2;
  double* u = calloc((size_t)((rows + 2) * ld), sizeof(double));
  double* unew = calloc((size_t)((rows + 2) * ld), sizeof(double));
  if (u == NULL || unew == NULL) {
    fprintf(stderr, "jacobi2d: rank %d: out of memory\n", rank);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  /* Initial interior and the fixed boundary (in the halo cells at the domain edges). */
  for (long i = 0; i < rows; ++i) {
    for (long j = 0; j < cols; ++j) {
      const long gi = row0 + i;
      const long gj = col0 + j;
      AT(u, i + 1, j + 1) = (double)((gi * 31 + gj * 17) % 97) / 97.0;
    }
  }
  for (int k = 0; k < 2; ++k) {
    double* f = k == 0 ? u : unew;
    if (up == MPI_PROC_NULL) {
      for (long j = 0; j < ld; ++j) {
        AT(f, 0, j) = 1.0;
      }
    }
    if (left == MPI_PROC_NULL) {
      for (long i = 0; i < rows; ++i) {
        AT(f, i + 1, 0) = (double)(n - (row0 + i)) / (double)(n + 1);
      }
    }
  }

  MPI_Datatype column = MPI_DATATYPE_NULL;
  MPI_Type_vector((int)rows, 1, (int)ld, MPI_DOUBLE, &column);
  MPI_Type_commit(&column);

  double max_change = 0.0;
  const double loop_start = app_loop_start(timing);
  for (long it = 0; it < iters; ++it) {
    /* Halo exchange: rows up and down, then columns left and right. */
    MPI_Sendrecv(&AT(u, 1, 1), (int)cols, MPI_DOUBLE, up, 0, &AT(u, rows + 1, 1), (int)cols,
                 MPI_DOUBLE, down, 0, cart, MPI_STATUS_IGNORE);
    MPI_Sendrecv(&AT(u, rows, 1), (int)cols, MPI_DOUBLE, down, 1, &AT(u, 0, 1), (int)cols,
                 MPI_DOUBLE, up, 1, cart, MPI_STATUS_IGNORE);
    MPI_Sendrecv(&AT(u, 1, 1), 1, column, left, 2, &AT(u, 1, cols + 1), 1, column, right, 2, cart,
                 MPI_STATUS_IGNORE);
    MPI_Sendrecv(&AT(u, 1, cols), 1, column, right, 3, &AT(u, 1, 0), 1, column, left, 3, cart,
                 MPI_STATUS_IGNORE);
    double local_change = 0.0;
    for (long i = 1; i <= rows; ++i) {
      for (long j = 1; j <= cols; ++j) {
        const double v =
            0.25 * (AT(u, i - 1, j) + AT(u, i + 1, j) + AT(u, i, j - 1) + AT(u, i, j + 1));
        const double d = v > AT(u, i, j) ? v - AT(u, i, j) : AT(u, i, j) - v;
        if (d > local_change) {
          local_change = d;
        }
        AT(unew, i, j) = v;
      }
    }
    double* tmp = u;
    u = unew;
    unew = tmp;
    MPI_Allreduce(&local_change, &max_change, 1, MPI_DOUBLE, MPI_MAX, cart);
    app_sleep_ms(sleep_ms);
  }
  app_loop_end(timing, loop_start, rank);

  const double checksum = app_repro_sum(&AT(u, 1, 1), NULL, ld, rows, row0, n, tile0, tile1 - tile0,
                                        ntiles, row_comm, col_comm);
  if (rank == 0) {
    printf("jacobi2d: n=%ld iters=%ld ranks=%d grid=%dx%d max_change=%.6e\n", n, iters, size,
           dims[0], dims[1], max_change);
    app_print_checksum(checksum);
  }
  MPI_Type_free(&column);
  MPI_Comm_free(&row_comm);
  MPI_Comm_free(&col_comm);
  MPI_Comm_free(&cart);
  free(u);
  free(unew);
  MPI_Finalize();
  return 0;
}
