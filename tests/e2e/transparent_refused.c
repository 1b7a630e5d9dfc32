/*
 * transparent_refused op|bsend: uses an MPI feature transparent mode cannot carry yet
 * (a user-defined reduction operation; a buffered send's attached buffer).  Natively it
 * prints "transparent_refused: <what> ran"; in transparent mode the job must stop
 * naming the call instead of computing anything.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

static void add_ints(void* in, void* inout, int* len, MPI_Datatype* type) {
  (void)type;
  for (int i = 0; i < *len; ++i) {
    ((int*)inout)[i] += ((int*)in)[i];
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char* what = argc > 1 ? argv[1] : "op";
  if (strcmp(what, "op") == 0) {
    MPI_Op op;
    MPI_Op_create(add_ints, 1, &op);
    int sum = 0;
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, op, MPI_COMM_WORLD);
    MPI_Op_free(&op);
  } else {
    static char buffer[1024];
    MPI_Buffer_attach(buffer, (int)sizeof buffer);
    int value = rank;
    MPI_Bsend(&value, 1, MPI_INT, rank, 0, MPI_COMM_WORLD);
    MPI_Recv(&value, 1, MPI_INT, rank, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    void* detached = NULL;
    int size = 0;
    MPI_Buffer_detach(&detached, &size);
  }
  if (rank == 0) {
    printf("transparent_refused: %s ran\n", what);
  }
  MPI_Finalize();
  return 0;
}
