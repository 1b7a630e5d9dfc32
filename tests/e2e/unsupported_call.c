/* Calls MPI_Win_allocate, which ftmpi does not cover: under ftmpi the job must stop
 * with a message naming the call, never run on silently. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  void* base = NULL;
  MPI_Win win;
  MPI_Win_allocate(64, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &base, &win);
  printf("unsupported_call: MPI_Win_allocate returned\n");
  MPI_Win_free(&win);
  MPI_Finalize();
  return 0;
}
