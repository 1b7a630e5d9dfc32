/*
 * pending_requests: a program that always holds requests, so that its checkpoints
 * must save them.  Every rank
 *   - makes persistent halo requests to its neighbours once (MPI_Send_init,
 *     MPI_Recv_init) and starts them every iteration;
 *   - posts at the start an MPI_Irecv that only the last iteration's message matches,
 *     and an MPI_Irecv plus MPI_Isend that complete at once but are waited for at the end
 *     (data that arrived before a checkpoint the program has not looked at yet);
 *   - takes a message with MPI_Mprobe at the start and receives it (MPI_Mrecv) only at
 *     the end: a matched message held through every checkpoint;
 *   - iterates: halo exchange, a reduction, a pause (where checkpoints happen).
 * Prints "checksum: VALUE" (rank 0), the same under mpirun and in transparent mode with
 * any number of checkpoints, kills and restarts.
 *   pending_requests [ITERATIONS [PAUSE_MS [BUSY_S [RELEASE_FILE]]]]   (defaults 60, 50, 0)
 * With BUSY_S, first a phase of BUSY_S seconds in which rank 0 tests an active
 * persistent receive that rank 1 satisfies only at its end: no checkpoint or migration
 * can be taken then.  With RELEASE_FILE the phase ends as soon as that file exists (and
 * after BUSY_S seconds at the latest): a test ends it once it has seen what it waited
 * for, however long the machine took to get there.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int rank = -1;

#include "check.h"

enum { k_halo = 256 };

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int iterations = argc > 1 ? atoi(argv[1]) : 60;
  const int pause_ms = argc > 2 ? atoi(argv[2]) : 50;
  const int busy_s = argc > 3 ? atoi(argv[3]) : 0;
  const char* release_file = argc > 4 ? argv[4] : NULL;
  const int right = (rank + 1) % size;
  const int left = (rank + size - 1) % size;

  static double halo_out[k_halo];
  static double halo_in[k_halo];
  MPI_Request halo[2];
  MPI_Send_init(halo_out, k_halo, MPI_DOUBLE, right, 1, MPI_COMM_WORLD, &halo[0]);
  MPI_Recv_init(halo_in, k_halo, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, &halo[1]);

  /* Matched only at the very end: pending through every checkpoint. */
  long last_in = -1;
  MPI_Request last;
  MPI_Irecv(&last_in, 1, MPI_LONG, MPI_ANY_SOURCE, 99, MPI_COMM_WORLD, &last);
  /* Complete almost at once, looked at only at the end. */
  long early_in = -1;
  const long early_out = 1000 + rank;
  MPI_Request early[2];
  MPI_Irecv(&early_in, 1, MPI_LONG, left, 98, MPI_COMM_WORLD, &early[0]);
  MPI_Isend(&early_out, 1, MPI_LONG, right, 98, MPI_COMM_WORLD, &early[1]);

  if (busy_s > 0 && size > 1) {
    long busy = -1;
    if (rank == 0) {
      MPI_Request active;
      MPI_Recv_init(&busy, 1, MPI_LONG, 1, 96, MPI_COMM_WORLD, &active);
      MPI_Start(&active);
      for (int done = 0; !done;) {
        MPI_Test(&active, &done, MPI_STATUS_IGNORE);
        usleep(10 * 1000);
      }
      MPI_Request_free(&active);
      CHECK(busy == 96, "busy phase: got %ld", busy);
    } else if (rank == 1) {
      struct stat released;
      for (int tenths = 0; tenths < busy_s * 10; ++tenths) {
        if (release_file != NULL && stat(release_file, &released) == 0) {
          break;
        }
        usleep(100 * 1000);
      }
      busy = 96;
      MPI_Send(&busy, 1, MPI_LONG, 0, 96, MPI_COMM_WORLD);
    }
  }

  /* Matched at the start, received at the end. */
  const long held_out = 3000 + rank;
  MPI_Send(&held_out, 1, MPI_LONG, right, 97, MPI_COMM_WORLD);
  MPI_Message held = MPI_MESSAGE_NULL;
  MPI_Status held_status;
  MPI_Mprobe(left, 97, MPI_COMM_WORLD, &held, &held_status);

  double x = rank + 1.0;
  double total = 0;
  for (int it = 0; it < iterations; ++it) {
    for (int i = 0; i < k_halo; ++i) {
      halo_out[i] = x * (i + 1) + it;
    }
    MPI_Startall(2, halo);
    MPI_Waitall(2, halo, MPI_STATUSES_IGNORE);
    double edge = 0;
    for (int i = 0; i < k_halo; ++i) {
      edge += halo_in[i];
    }
    x = 0.5 * x + 0.5 * edge / (k_halo * (k_halo + 1) / 2.0) + 1e-3 * it;
    double sum = 0;
    MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    total += sum;
    usleep((useconds_t)pause_ms * 1000);
  }

  const long last_out = 7L * rank + iterations;
  MPI_Send(&last_out, 1, MPI_LONG, right, 99, MPI_COMM_WORLD);
  MPI_Status status;
  MPI_Wait(&last, &status);
  CHECK(status.MPI_SOURCE == left && status.MPI_TAG == 99, "last message from %d tag %d",
        status.MPI_SOURCE, status.MPI_TAG);
  CHECK(last_in == 7L * left + iterations, "last message %ld", last_in);
  MPI_Waitall(2, early, MPI_STATUSES_IGNORE);
  CHECK(early_in == 1000 + left, "early message %ld", early_in);
  long held_in = -1;
  MPI_Mrecv(&held_in, 1, MPI_LONG, &held, &status);
  CHECK(held_in == 3000 + left && status.MPI_SOURCE == left && held == MPI_MESSAGE_NULL,
        "held message %ld from %d", held_in, status.MPI_SOURCE);
  MPI_Request_free(&halo[0]);
  MPI_Request_free(&halo[1]);

  double mine = total + (double)last_in + (double)early_in + (double)held_in;
  double all = 0;
  MPI_Reduce(&mine, &all, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  int failed = 0;
  MPI_Allreduce(&failures, &failed, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) {
    printf("pending_requests: %d iterations on %d ranks, %d checks failed\n", iterations, size,
           failed);
    printf("checksum: %.17g\n", all);
  }
  MPI_Finalize();
  return failed == 0 ? 0 : 1;
}
