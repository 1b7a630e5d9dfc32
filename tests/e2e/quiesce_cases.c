/*
 * quiesce_cases: the situations that broke earlier checkpointing systems, each with a
 * checkpoint (ftmpi_checkpoint()) in the middle of it, each checking that every message
 * arrives once, intact and in MPI's order.  Needs at least 3 ranks and transparent mode;
 * prints "quiesce_cases: N cases passed" or names the failed check and exits 1.
 *   quiesce_cases --native   checks that ftmpi_checkpoint() is refused outside
 *                            transparent mode, then exits 0
 */
#include <ftmpi/ftmpi.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rank = -1;
static int size = -1;

#include "check.h"

static void checkpoint(void) {
  const int rc = ftmpi_checkpoint();
  /* The quiesce always happens; the checkpoint itself is deferred while an operation is
   * under way in MPI (several cases hold active persistent requests on purpose). */
  CHECK(rc == FTMPI_SUCCESS || rc == FTMPI_ERR_TIMEOUT, "ftmpi_checkpoint: %s",
        ftmpi_status_string(rc));
}

/* Let messages reach their destination's MPI before the checkpoint. */
static void settle(void) {
  usleep(100 * 1000);
}

/* 1. Messages in flight in both directions while the others wait in a collective, one of
 * them empty (a zero-byte message, as a worker's "ready" in a task farm). */
static void in_flight(void) {
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  double out[2][64];
  double in[2][64];
  MPI_Request sends[3];
  for (int i = 0; i < 64; ++i) {
    out[0][i] = rank * 1000 + i;
    out[1][i] = -rank * 1000 - i;
  }
  MPI_Isend(out[0], 64, MPI_DOUBLE, next, 1, MPI_COMM_WORLD, &sends[0]);
  MPI_Isend(out[1], 64, MPI_DOUBLE, prev, 2, MPI_COMM_WORLD, &sends[1]);
  MPI_Isend(NULL, 0, MPI_BYTE, next, 3, MPI_COMM_WORLD, &sends[2]);
  if (rank == 0) {
    settle();
    checkpoint();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Recv(in[0], 64, MPI_DOUBLE, prev, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  MPI_Recv(in[1], 64, MPI_DOUBLE, next, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  MPI_Status empty;
  MPI_Probe(MPI_ANY_SOURCE, 3, MPI_COMM_WORLD, &empty);
  int empty_count = -1;
  MPI_Get_count(&empty, MPI_BYTE, &empty_count);
  CHECK(empty.MPI_SOURCE == prev && empty_count == 0, "in flight: the empty message's status");
  MPI_Recv(NULL, 0, MPI_BYTE, prev, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  MPI_Waitall(3, sends, MPI_STATUSES_IGNORE);
  CHECK(in[0][0] == prev * 1000 && in[0][63] == prev * 1000 + 63, "in flight: forward data");
  CHECK(in[1][0] == -next * 1000 && in[1][63] == -next * 1000 - 63, "in flight: backward data");
}

/* 2. Ranks blocked in MPI_Recv, MPI_Wait and MPI_Probe when the checkpoint comes. */
static void blocked(void) {
  if (rank == 0) {
    settle();
    checkpoint();
    for (int r = 1; r < size; ++r) {
      const int value = 500 + r;
      MPI_Send(&value, 1, MPI_INT, r, 3, MPI_COMM_WORLD);
    }
  } else {
    int value = -1;
    MPI_Status status;
    if (rank == 1) {
      MPI_Recv(&value, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, &status);
    } else if (rank == 2) {
      MPI_Probe(0, 3, MPI_COMM_WORLD, &status);
      MPI_Recv(&value, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, &status);
    } else {
      MPI_Request request;
      MPI_Irecv(&value, 1, MPI_INT, 0, 3, MPI_COMM_WORLD, &request);
      MPI_Wait(&request, &status);
    }
    CHECK(value == 500 + rank && status.MPI_SOURCE == 0, "blocked: got %d", value);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

/* 3. Messages from every rank drained, received with MPI_ANY_SOURCE/MPI_ANY_TAG: each
 * source's messages in the order it sent them. */
static void any_source(void) {
  if (rank != 0) {
    const int first = 10 * rank;
    const int second = 10 * rank + 1;
    MPI_Send(&first, 1, MPI_INT, 0, 100 + rank, MPI_COMM_WORLD);
    MPI_Send(&second, 1, MPI_INT, 0, 200 + rank, MPI_COMM_WORLD);
  } else {
    settle();
    checkpoint();
    int seen[64] = {0};
    for (int i = 0; i < 2 * (size - 1); ++i) {
      int value = -1;
      MPI_Status status;
      MPI_Recv(&value, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
      const int source = status.MPI_SOURCE;
      const int want_tag = seen[source] == 0 ? 100 + source : 200 + source;
      CHECK(status.MPI_TAG == want_tag && value == 10 * source + seen[source],
            "any source: from %d tag %d value %d", source, status.MPI_TAG, value);
      int count = -1;
      MPI_Get_count(&status, MPI_INT, &count);
      CHECK(count == 1, "any source: count %d", count);
      ++seen[source];
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

/* 4. A posted MPI_Irecv gets the first message; a probe after the checkpoint sees the
 * second (a drained message must not overtake the posted receive). */
static void posted_irecv(void) {
  int first = -1;
  MPI_Request request = MPI_REQUEST_NULL;
  if (rank == 1) {
    MPI_Irecv(&first, 1, MPI_INT, 0, 5, MPI_COMM_WORLD, &request);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    const int a = 111;
    const int b = 222;
    MPI_Send(&a, 1, MPI_INT, 1, 5, MPI_COMM_WORLD);
    MPI_Send(&b, 1, MPI_INT, 1, 5, MPI_COMM_WORLD);
    settle();
    checkpoint();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 1) {
    MPI_Status status;
    int flag = 0;
    MPI_Iprobe(0, 5, MPI_COMM_WORLD, &flag, &status);
    CHECK(flag, "posted Irecv: the second message is not visible to MPI_Iprobe");
    int second = -1;
    MPI_Recv(&second, 1, MPI_INT, 0, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
    CHECK(first == 111 && second == 222, "posted Irecv: got %d then %d", first, second);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

/* 5. Persistent requests started before the checkpoint and completed after it. */
static void persistent(void) {
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  int out = 0;
  int in = -1;
  MPI_Request requests[2];
  MPI_Recv_init(&in, 1, MPI_INT, prev, 6, MPI_COMM_WORLD, &requests[0]);
  MPI_Send_init(&out, 1, MPI_INT, next, 6, MPI_COMM_WORLD, &requests[1]);
  for (int round = 0; round < 2; ++round) {
    out = rank * 10 + round;
    MPI_Startall(2, requests);
    if (rank == 0) {
      settle();
      checkpoint();
    }
    MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
    CHECK(in == prev * 10 + round, "persistent round %d: got %d", round, in);
  }
  MPI_Request_free(&requests[0]);
  MPI_Request_free(&requests[1]);
  MPI_Barrier(MPI_COMM_WORLD);
}

/* 6. A non-blocking collective in flight at the checkpoint. */
static void collective_in_flight(void) {
  int sum = -1;
  MPI_Request request;
  MPI_Iallreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &request);
  if (rank == 0) {
    checkpoint();
  }
  MPI_Wait(&request, MPI_STATUS_IGNORE);
  CHECK(sum == size * (size - 1) / 2, "Iallreduce across a checkpoint: %d", sum);
  MPI_Barrier(MPI_COMM_WORLD);
}

/* 7. Checkpoints requested twice in a row, and by a rank other than 0 while rank 0 is
 * blocked waiting for it. */
static void twice_and_elsewhere(void) {
  if (rank == 0) {
    checkpoint();
    checkpoint();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const int last = size - 1;
  if (rank == last) {
    checkpoint();
    const int value = 77;
    MPI_Send(&value, 1, MPI_INT, 0, 7, MPI_COMM_WORLD);
  } else if (rank == 0) {
    int value = -1;
    MPI_Recv(&value, 1, MPI_INT, last, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    CHECK(value == 77, "checkpoint from rank %d: got %d", last, value);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

/* 8. Matched probes: a message MPI_Mprobe took before the checkpoint is received after
 * it (MPI_Mrecv); one the checkpoint drained is found by MPI_Improbe and received with
 * MPI_Imrecv; MPI_PROC_NULL gives MPI_MESSAGE_NO_PROC. */
static void matched_probes(void) {
  int first[16];
  int second[16];
  if (rank == 1) {
    for (int i = 0; i < 16; ++i) {
      first[i] = 4000 + i;
      second[i] = 5000 + i;
    }
    MPI_Send(first, 16, MPI_INT, 0, 40, MPI_COMM_WORLD);
    MPI_Send(second, 16, MPI_INT, 0, 41, MPI_COMM_WORLD);
  } else if (rank == 0) {
    MPI_Message held = MPI_MESSAGE_NULL;
    MPI_Status status;
    MPI_Mprobe(1, 40, MPI_COMM_WORLD, &held, &status);
    int count = -1;
    MPI_Get_count(&status, MPI_INT, &count);
    CHECK(status.MPI_SOURCE == 1 && status.MPI_TAG == 40 && count == 16,
          "matched probe: source %d tag %d count %d", status.MPI_SOURCE, status.MPI_TAG, count);
    settle(); /* the second message reaches MPI: the checkpoint drains it */
    checkpoint();
    int flag = 0;
    MPI_Message later = MPI_MESSAGE_NULL;
    MPI_Status later_status;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &later, &later_status);
    CHECK(flag == 1 && later_status.MPI_SOURCE == 1 && later_status.MPI_TAG == 41,
          "matched probe of a drained message: flag %d source %d tag %d", flag,
          later_status.MPI_SOURCE, later_status.MPI_TAG);
    MPI_Request request;
    memset(second, 0, sizeof second);
    MPI_Imrecv(second, 16, MPI_INT, &later, &request);
    CHECK(later == MPI_MESSAGE_NULL, "MPI_Imrecv left its message handle set");
    MPI_Wait(&request, &later_status);
    memset(first, 0, sizeof first);
    MPI_Mrecv(first, 16, MPI_INT, &held, &status);
    CHECK(held == MPI_MESSAGE_NULL, "MPI_Mrecv left its message handle set");
    for (int i = 0; i < 16; ++i) {
      CHECK(first[i] == 4000 + i && second[i] == 5000 + i, "matched probes: data [%d] %d %d", i,
            first[i], second[i]);
    }
    MPI_Message none = MPI_MESSAGE_NULL;
    MPI_Mprobe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &none, &status);
    CHECK(none == MPI_MESSAGE_NO_PROC, "MPI_Mprobe(MPI_PROC_NULL) is not MPI_MESSAGE_NO_PROC");
    MPI_Mrecv(NULL, 0, MPI_INT, &none, &status);
    CHECK(status.MPI_SOURCE == MPI_PROC_NULL, "MPI_Mrecv(MPI_MESSAGE_NO_PROC): source %d",
          status.MPI_SOURCE);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc > 1 && strcmp(argv[1], "--native") == 0) {
    const int rc = ftmpi_checkpoint();
    CHECK(rc == FTMPI_ERR_UNSUPPORTED, "ftmpi_checkpoint outside transparent mode: %d", rc);
    MPI_Finalize();
    return failures == 0 ? 0 : 1;
  }
  if (size < 3) {
    if (rank == 0) {
      fprintf(stderr, "quiesce_cases needs at least 3 ranks\n");
    }
    MPI_Finalize();
    return 2;
  }
  void (*cases[])(void) = {in_flight,           blocked,       any_source,
                           posted_irecv,        persistent,    collective_in_flight,
                           twice_and_elsewhere, matched_probes};
  const int n = (int)(sizeof cases / sizeof cases[0]);
  for (int i = 0; i < n; ++i) {
    cases[i]();
  }
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0 && all == 0) {
    printf("quiesce_cases: %d cases passed on %d ranks\n", n, size);
  }
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
