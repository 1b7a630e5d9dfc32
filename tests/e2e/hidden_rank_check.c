/*
 * hidden_rank_check EXPECTED_SIZE: an MPI program that looks everywhere a program can
 * look for the ranks of MPI_COMM_WORLD and fails (exit 1, saying where) if it sees
 * anything but EXPECTED_SIZE ranks numbered 0..EXPECTED_SIZE-1.  Run under ftmpi-launch,
 * which adds a hidden predictor rank, it proves that rank invisible.  Built without
 * libftmpi (ftmpi-launch preloads it).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int failures = 0;
#define CHECK(cond, ...)                        \
  do {                                          \
    if (!(cond)) {                              \
      fprintf(stderr, "rank %d: ", world_rank); \
      fprintf(stderr, __VA_ARGS__);             \
      fprintf(stderr, "\n");                    \
      ++failures;                               \
    }                                           \
  } while (0)

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int world_rank = -1;
  int world_size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const int expected = argc > 1 ? atoi(argv[1]) : -1;
  CHECK(world_size == expected, "MPI_Comm_size says %d, expected %d", world_size, expected);
  CHECK(world_rank >= 0 && world_rank < expected, "rank %d outside 0..%d", world_rank,
        expected - 1);

  /* Groups. */
  MPI_Group group;
  int group_size = -1;
  int group_rank = -1;
  MPI_Comm_group(MPI_COMM_WORLD, &group);
  MPI_Group_size(group, &group_size);
  MPI_Group_rank(group, &group_rank);
  CHECK(group_size == expected, "world group has %d members", group_size);
  CHECK(group_rank == world_rank, "world group rank %d", group_rank);
  MPI_Group_free(&group);

  /* Collectives: every rank contributes its number once. */
  int sum = -1;
  MPI_Allreduce(&world_rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum == expected * (expected - 1) / 2, "sum of ranks %d", sum);
  int* gathered = malloc(sizeof(int) * (size_t)world_size);
  MPI_Allgather(&world_rank, 1, MPI_INT, gathered, 1, MPI_INT, MPI_COMM_WORLD);
  for (int i = 0; i < world_size; ++i) {
    CHECK(gathered[i] == i, "allgather slot %d holds %d", i, gathered[i]);
  }
  free(gathered);

  /* MPI_ANY_SOURCE: rank 0 hears from every other rank, and from nobody else. */
  if (world_rank == 0) {
    int seen = 0;
    for (int i = 1; i < world_size; ++i) {
      int from = -1;
      MPI_Status status;
      MPI_Recv(&from, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
      CHECK(status.MPI_SOURCE == from && from > 0 && from < expected, "message from %d/%d",
            status.MPI_SOURCE, from);
      seen |= 1 << from;
    }
    int flag = 1;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    CHECK(flag == 0, "an unexpected message is waiting");
    CHECK(seen == ((1 << world_size) - 2), "heard from mask %x", seen);
  } else {
    MPI_Send(&world_rank, 1, MPI_INT, 0, world_rank, MPI_COMM_WORLD);
  }

  /* Topologies: a Cartesian grid over the world has exactly the world's ranks. */
  int dims[2] = {0, 0};
  int periods[2] = {0, 0};
  MPI_Dims_create(world_size, 2, dims);
  MPI_Comm cart;
  MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &cart);
  int cart_size = -1;
  MPI_Comm_size(cart, &cart_size);
  CHECK(cart_size == expected, "Cartesian communicator of %d", cart_size);
  MPI_Comm_free(&cart);

  /* Attributes of MPI_COMM_WORLD are there. */
  int* tag_ub = NULL;
  int flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
  CHECK(flag && *tag_ub >= 32767, "MPI_TAG_UB missing");

  int any_failures = 0;
  MPI_Allreduce(&failures, &any_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (world_rank == 0) {
    printf("hidden_rank_check: %d ranks, %s\n", world_size,
           any_failures == 0 ? "no hidden rank visible" : "FAILED");
  }
  MPI_Finalize();
  return any_failures == 0 ? 0 : 1;
}
