/*
 * cg - conjugate gradient on the 2-D Poisson matrix (5-point Laplacian, zero Dirichlet
 * boundary) of an N x N grid: a distributed sparse matrix applied matrix-free.
 *
 * Ranks form a pr x pc grid (MPI_Dims_create); the row and column communicators come
 * from MPI_Comm_split.  Each matrix-vector product exchanges halos with the four
 * neighbours through MPI_Isend/MPI_Irecv/MPI_Waitall; dot products reduce with
 * MPI_Allreduce over the row communicator, then the column communicator.
 *
 * The checksum (sum of the solution after --iters iterations) is bit-identical for
 * every rank count: dot products use a fixed summation order (app_repro_sum).
 */
#include <math.h>

#include "app_common.h"

#define AT(v, i, j) (v)[(i)*ld + (j)]

typedef struct grid {
  long n, rows, cols, row0, col0, tile0, ntiles_local, ntiles, ld;
  int up, down, left, right; /* neighbour ranks in MPI_COMM_WORLD, or MPI_PROC_NULL */
  MPI_Comm row_comm, col_comm;
  double *send_left, *send_right, *recv_left, *recv_right;
} grid;

/* Sum of a*b over the grid, or of a when b is NULL. */
static double dot(const grid* g, const double* a, const double* b) {
  const long ld = g->ld;
  return app_repro_sum(&AT(a, 1, 1), b != NULL ? &AT(b, 1, 1) : NULL, ld, g->rows, g->row0, g->n,
                       g->tile0, g->ntiles_local, g->ntiles, g->row_comm, g->col_comm);
}

/* q = A p; fills p's halo first. */
static void apply_laplacian(const grid* g, double* p, double* q) {
  const long ld = g->ld;
  const long rows = g->rows;
  const long cols = g->cols;
  MPI_Request req[8];
  int nreq = 0;
  for (long i = 0; i < rows; ++i) {
    g->send_left[i] = AT(p, i + 1, 1);
    g->send_right[i] = AT(p, i + 1, cols);
  }
  MPI_Irecv(&AT(p, 0, 1), (int)cols, MPI_DOUBLE, g->up, 10, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Irecv(&AT(p, rows + 1, 1), (int)cols, MPI_DOUBLE, g->down, 11, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Irecv(g->recv_left, (int)rows, MPI_DOUBLE, g->left, 12, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Irecv(g->recv_right, (int)rows, MPI_DOUBLE, g->right, 13, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Isend(&AT(p, rows, 1), (int)cols, MPI_DOUBLE, g->down, 10, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Isend(&AT(p, 1, 1), (int)cols, MPI_DOUBLE, g->up, 11, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Isend(g->send_right, (int)rows, MPI_DOUBLE, g->right, 12, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Isend(g->send_left, (int)rows, MPI_DOUBLE, g->left, 13, MPI_COMM_WORLD, &req[nreq++]);
  MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE);
  /* Zero halos stand for the boundary; received columns go into the side halos. */
  for (long i = 0; i < rows; ++i) {
    AT(p, i + 1, 0) = g->left == MPI_PROC_NULL ? 0.0 : g->recv_left[i];
    AT(p, i + 1, cols + 1) = g->right == MPI_PROC_NULL ? 0.0 : g->recv_right[i];
  }
  for (long i = 1; i <= rows; ++i) {
    for (long j = 1; j <= cols; ++j) {
      AT(q, i, j) =
          4.0 * AT(p, i, j) - AT(p, i - 1, j) - AT(p, i + 1, j) - AT(p, i, j - 1) - AT(p, i, j + 1);
    }
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  long n = 128;
  long iters = 50;
  long sleep_ms = 0;
  long timing = 0;
  app_option opts[] = {
      {"size", 'n', &n, APP_TILE, 1L << 14, "grid points per side (a multiple of 8)"},
      {"iters", 'i', &iters, 0, LONG_MAX / 2, "CG iterations"},
      {"sleep-ms", 's', &sleep_ms, 0, 3600000, "sleep after each iteration (milliseconds)"},
      APP_TIME_OPTION(timing),
  };
  const int parsed = app_parse_options(
      argc, argv, "cg", "Conjugate gradient on a distributed 2-D Poisson matrix.", opts, 4, rank);
  if (parsed != 0) {
    MPI_Finalize();
    return parsed == 1 ? 0 : 2;
  }
  int dims[2] = {0, 0};
  MPI_Dims_create(size, 2, dims);
  const int pr = dims[0];
  const int pc = dims[1];
  grid g;
  memset(&g, 0, sizeof g);
  g.n = n;
  g.ntiles = n / APP_TILE;
  if (n % APP_TILE != 0 || pr > n || pc > g.ntiles) {
    if (rank == 0) {
      fprintf(stderr,
              "cg: --size %ld must be a multiple of %d with at least %d rows and %d column "
              "tiles for a %dx%d process grid\n",
              n, APP_TILE, pr, pc, pr, pc);
    }
    MPI_Finalize();
    return 2;
  }
  const int my_row = rank / pc;
  const int my_col = rank % pc;
  MPI_Comm_split(MPI_COMM_WORLD, my_row, my_col, &g.row_comm);
  MPI_Comm_split(MPI_COMM_WORLD, my_col, my_row, &g.col_comm);
  g.up = my_row > 0 ? rank - pc : MPI_PROC_NULL;
  g.down = my_row < pr - 1 ? rank + pc : MPI_PROC_NULL;
  g.left = my_col > 0 ? rank - 1 : MPI_PROC_NULL;
  g.right = my_col < pc - 1 ? rank + 1 : MPI_PROC_NULL;

  long row1 = 0;
  long tile1 = 0;
  app_block_range(n, pr, my_row, &g.row0, &row1);
  app_block_range(g.ntiles, pc, my_col, &g.tile0, &tile1);
  g.rows = row1 - g.row0;
  g.ntiles_local = tile1 - g.tile0;
  g.cols = g.ntiles_local * APP_TILE;
  g.col0 = g.tile0 * APP_TILE;
  g.ld = g.cols + 2;
  const long ld = g.ld;
  const size_t field = (size_t)((g.rows + 2) * ld);
  double* x = calloc(field, sizeof(double));
  double* r = calloc(field, sizeof(double));
  double* p = calloc(field, sizeof(double));
  double* q = calloc(field, sizeof(double));
  g.send_left = calloc((size_t)g.rows, sizeof(double));
  g.send_right = calloc((size_t)g.rows, sizeof(double));
  g.recv_left = calloc((size_t)g.rows, sizeof(double));
  g.recv_right = calloc((size_t)g.rows, sizeof(double));
  if (!x || !r || !p || !q || !g.send_left || !g.send_right || !g.recv_left || !g.recv_right) {
    fprintf(stderr, "cg: rank %d: out of memory\n", rank);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  /* x0 = 0, so r0 = b; p0 = r0. */
  for (long i = 1; i <= g.rows; ++i) {
    for (long j = 1; j <= g.cols; ++j) {
      const long gi = g.row0 + i - 1;
      const long gj = g.col0 + j - 1;
      AT(r, i, j) = 1.0 + (double)((gi * 7 + gj * 13) % 11) / 11.0;
      AT(p, i, j) = AT(r, i, j);
    }
  }
  double rr = dot(&g, r, r);
  const double rr0 = rr;
  long done = 0;
  const double loop_start = app_loop_start(timing);
  for (; done < iters && rr > 0.0; ++done) {
    apply_laplacian(&g, p, q);
    const double alpha = rr / dot(&g, p, q);
    for (long i = 1; i <= g.rows; ++i) {
      for (long j = 1; j <= g.cols; ++j) {
        AT(x, i, j) = AT(x, i, j) + alpha * AT(p, i, j);
        AT(r, i, j) = AT(r, i, j) - alpha * AT(q, i, j);
      }
    }
    const double rr_new = dot(&g, r, r);
    const double beta = rr_new / rr;
    for (long i = 1; i <= g.rows; ++i) {
      for (long j = 1; j <= g.cols; ++j) {
        AT(p, i, j) = AT(r, i, j) + beta * AT(p, i, j);
      }
    }
    rr = rr_new;
    app_sleep_ms(sleep_ms);
  }
  app_loop_end(timing, loop_start, rank);

  const double checksum = dot(&g, x, NULL);
  if (rank == 0) {
    printf("cg: n=%ld iters=%ld ranks=%d grid=%dx%d relative_residual=%.6e\n", n, done, size, pr,
           pc, sqrt(rr / rr0));
    app_print_checksum(checksum);
  }
  MPI_Comm_free(&g.row_comm);
  MPI_Comm_free(&g.col_comm);
  free(x);
  free(r);
  free(p);
  free(q);
  free(g.send_left);
  free(g.send_right);
  free(g.recv_left);
  free(g.recv_right);
  MPI_Finalize();
  return 0;
}
