/*
 * mpi_coverage: an MPI program that uses a wide part of MPI the way applications do and
 * checks every result it can compute independently.  It prints "mpi_coverage: N checks
 * passed on R ranks" and exits 0, or names each failed check and exits 1.  Built
 * without libftmpi; the e2e tests run it under plain mpirun and under ftmpi-launch in
 * both modes, so a result that transparent mode's forwarding gets wrong shows up here.
 * No user-defined callbacks (transparent mode refuses those; tested separately).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank = -1;
static int size = -1;

#include "check.h"

static void point_to_point(void) {
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  /* Blocking ring with Sendrecv, then Sendrecv_replace. */
  int got = -1;
  MPI_Sendrecv(&rank, 1, MPI_INT, next, 7, &got, 1, MPI_INT, prev, 7, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  CHECK(got == prev, "Sendrecv got %d, expected %d", got, prev);
  int value = rank * 10;
  MPI_Status status;
  MPI_Sendrecv_replace(&value, 1, MPI_INT, next, 8, prev, 8, MPI_COMM_WORLD, &status);
  CHECK(value == prev * 10, "Sendrecv_replace got %d", value);
  CHECK(status.MPI_SOURCE == prev && status.MPI_TAG == 8, "Sendrecv_replace status %d/%d",
        status.MPI_SOURCE, status.MPI_TAG);

  /* Non-blocking: receives posted first (any source), sends, Waitall with statuses. */
  double out[4] = {rank + 0.5, rank + 1.5, rank + 2.5, rank + 3.5};
  double in[4] = {0, 0, 0, 0};
  MPI_Request requests[2];
  MPI_Irecv(in, 4, MPI_DOUBLE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &requests[0]);
  MPI_Isend(out, 4, MPI_DOUBLE, next, 9, MPI_COMM_WORLD, &requests[1]);
  MPI_Status statuses[2];
  MPI_Waitall(2, requests, statuses);
  CHECK(requests[0] == MPI_REQUEST_NULL && requests[1] == MPI_REQUEST_NULL,
        "Waitall left requests");
  CHECK(in[0] == prev + 0.5 && in[3] == prev + 3.5, "Irecv data %g %g", in[0], in[3]);
  CHECK(statuses[0].MPI_SOURCE == prev && statuses[0].MPI_TAG == 9, "Irecv status");
  int count = -1;
  MPI_Get_count(&statuses[0], MPI_DOUBLE, &count);
  CHECK(count == 4, "Get_count %d", count);

  /* A shorter message than the buffer: the rest of the buffer is untouched. */
  int big[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
  const int small[3] = {rank, rank, rank};
  MPI_Sendrecv(small, 3, MPI_INT, next, 10, big, 8, MPI_INT, prev, 10, MPI_COMM_WORLD, &status);
  MPI_Get_count(&status, MPI_INT, &count);
  CHECK(count == 3 && big[2] == prev && big[3] == -1 && big[7] == -1,
        "short message: count %d, big[3] %d", count, big[3]);
  /* MPI_PROC_NULL: nothing arrives, nothing changes. */
  int untouched = 42;
  MPI_Recv(&untouched, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &status);
  CHECK(untouched == 42 && status.MPI_SOURCE == MPI_PROC_NULL, "PROC_NULL receive wrote");

  /* Probe, then receive what was probed; Mprobe/Mrecv. */
  MPI_Send(&rank, 1, MPI_INT, next, 11, MPI_COMM_WORLD);
  MPI_Probe(MPI_ANY_SOURCE, 11, MPI_COMM_WORLD, &status);
  CHECK(status.MPI_SOURCE == prev, "Probe source %d", status.MPI_SOURCE);
  MPI_Recv(&got, 1, MPI_INT, status.MPI_SOURCE, 11, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  CHECK(got == prev, "received after Probe %d", got);
  MPI_Request send_request;
  MPI_Isend(&rank, 1, MPI_INT, next, 12, MPI_COMM_WORLD, &send_request);
  MPI_Message message;
  MPI_Mprobe(prev, 12, MPI_COMM_WORLD, &message, &status);
  got = -1;
  MPI_Mrecv(&got, 1, MPI_INT, &message, MPI_STATUS_IGNORE);
  CHECK(got == prev && message == MPI_MESSAGE_NULL, "Mrecv %d", got);
  int flag = 0;
  while (!flag) {
    MPI_Test(&send_request, &flag, MPI_STATUS_IGNORE);
  }
  CHECK(send_request == MPI_REQUEST_NULL, "Test did not free the request");

  /* Persistent requests, started three times. */
  int send_value = 0;
  int recv_value = -1;
  MPI_Request persistent[2];
  MPI_Recv_init(&recv_value, 1, MPI_INT, prev, 13, MPI_COMM_WORLD, &persistent[0]);
  MPI_Send_init(&send_value, 1, MPI_INT, next, 13, MPI_COMM_WORLD, &persistent[1]);
  for (int round = 0; round < 3; ++round) {
    send_value = rank * 100 + round;
    MPI_Startall(2, persistent);
    MPI_Waitall(2, persistent, MPI_STATUSES_IGNORE);
    CHECK(recv_value == prev * 100 + round, "persistent round %d got %d", round, recv_value);
  }
  CHECK(persistent[0] != MPI_REQUEST_NULL, "persistent request freed by Waitall");
  MPI_Request_free(&persistent[0]);
  MPI_Request_free(&persistent[1]);

  /* Waitany / Waitsome over several receives. */
  int values[3] = {0, 0, 0};
  MPI_Request many[3];
  for (int i = 0; i < 3; ++i) {
    MPI_Irecv(&values[i], 1, MPI_INT, prev, 20 + i, MPI_COMM_WORLD, &many[i]);
  }
  for (int i = 2; i >= 0; --i) {
    const int v = rank + i;
    MPI_Send(&v, 1, MPI_INT, next, 20 + i, MPI_COMM_WORLD);
  }
  int index = -1;
  MPI_Waitany(3, many, &index, MPI_STATUS_IGNORE);
  CHECK(index >= 0 && index < 3 && many[index] == MPI_REQUEST_NULL, "Waitany index %d", index);
  int outcount = 0;
  int indices[3];
  int done = 1;
  while (done < 3) {
    MPI_Waitsome(3, many, &outcount, indices, MPI_STATUSES_IGNORE);
    if (outcount != MPI_UNDEFINED) {
      done += outcount;
    }
  }
  for (int i = 0; i < 3; ++i) {
    CHECK(values[i] == prev + i, "Waitsome value %d: %d", i, values[i]);
  }
}

static void datatypes(void) {
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  /* A column of a 4x4 matrix: a vector with gaps; the gaps keep their values. */
  double matrix[16];
  double target[16];
  for (int i = 0; i < 16; ++i) {
    matrix[i] = rank * 100 + i;
    target[i] = -1;
  }
  MPI_Datatype column;
  MPI_Type_vector(4, 1, 4, MPI_DOUBLE, &column);
  MPI_Type_commit(&column);
  MPI_Sendrecv(&matrix[1], 1, column, next, 30, &target[2], 1, column, prev, 30, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  CHECK(target[2] == prev * 100 + 1 && target[14] == prev * 100 + 13, "column data");
  CHECK(target[0] == -1 && target[3] == -1 && target[15] == -1, "column gaps overwritten");
  int type_size = 0;
  MPI_Aint lb = -1;
  MPI_Aint extent = 0;
  MPI_Type_size(column, &type_size);
  MPI_Type_get_extent(column, &lb, &extent);
  CHECK(type_size == 32 && lb == 0 && extent == 13 * 8, "vector size %d extent %ld", type_size,
        (long)extent);
  int n_int = 0;
  int n_addr = 0;
  int n_types = 0;
  int combiner = 0;
  MPI_Type_get_envelope(column, &n_int, &n_addr, &n_types, &combiner);
  CHECK(combiner == MPI_COMBINER_VECTOR && n_int == 3 && n_types == 1, "envelope");
  int ints[3];
  MPI_Aint addrs[1];
  MPI_Datatype types[1];
  MPI_Type_get_contents(column, 3, 0, 1, ints, addrs, types);
  CHECK(ints[0] == 4 && ints[1] == 1 && ints[2] == 4 && types[0] == MPI_DOUBLE, "contents");
  MPI_Type_set_name(column, "column");
  char name[MPI_MAX_OBJECT_NAME];
  int length = 0;
  MPI_Type_get_name(column, name, &length);
  CHECK(strcmp(name, "column") == 0 && length == 6, "type name '%s'", name);
  MPI_Type_free(&column);
  CHECK(column == MPI_DATATYPE_NULL, "Type_free did not reset the handle");

  /* A struct with absolute addresses sent from MPI_BOTTOM. */
  struct {
    int id;
    double weight;
  } record = {rank, rank * 0.25}, incoming = {-1, -1.0};
  MPI_Aint where[2];
  MPI_Get_address(&record.id, &where[0]);
  MPI_Get_address(&record.weight, &where[1]);
  const int lengths[2] = {1, 1};
  const MPI_Datatype members[2] = {MPI_INT, MPI_DOUBLE};
  MPI_Datatype absolute;
  MPI_Type_create_struct(2, lengths, where, members, &absolute);
  MPI_Type_commit(&absolute);
  MPI_Aint in_where[2];
  MPI_Get_address(&incoming.id, &in_where[0]);
  MPI_Get_address(&incoming.weight, &in_where[1]);
  MPI_Datatype absolute_in;
  MPI_Type_create_struct(2, lengths, in_where, members, &absolute_in);
  MPI_Type_commit(&absolute_in);
  MPI_Sendrecv(MPI_BOTTOM, 1, absolute, next, 31, MPI_BOTTOM, 1, absolute_in, prev, 31,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  CHECK(incoming.id == prev && incoming.weight == prev * 0.25, "struct from MPI_BOTTOM");
  MPI_Type_free(&absolute);
  MPI_Type_free(&absolute_in);

  /* Pack and Unpack. */
  char packed[64];
  int position = 0;
  const int three[3] = {rank, rank + 1, rank + 2};
  MPI_Pack(three, 3, MPI_INT, packed, (int)sizeof packed, &position, MPI_COMM_WORLD);
  const double half = 0.5;
  MPI_Pack(&half, 1, MPI_DOUBLE, packed, (int)sizeof packed, &position, MPI_COMM_WORLD);
  int pack_size = 0;
  MPI_Pack_size(3, MPI_INT, MPI_COMM_WORLD, &pack_size);
  CHECK(position >= 20 && pack_size >= 12, "Pack position %d", position);
  int back[3] = {0, 0, 0};
  double half_back = 0;
  position = 0;
  MPI_Unpack(packed, (int)sizeof packed, &position, back, 3, MPI_INT, MPI_COMM_WORLD);
  MPI_Unpack(packed, (int)sizeof packed, &position, &half_back, 1, MPI_DOUBLE, MPI_COMM_WORLD);
  CHECK(back[2] == rank + 2 && half_back == 0.5, "Unpack");
}

static void collectives(void) {
  int sum = 0;
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(sum == size * (size - 1) / 2, "Allreduce %d", sum);
  int in_place = rank;
  MPI_Allreduce(MPI_IN_PLACE, &in_place, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  CHECK(in_place == size - 1, "in-place Allreduce %d", in_place);
  int root_value = rank == 0 ? 1234 : -1;
  MPI_Bcast(&root_value, 1, MPI_INT, 0, MPI_COMM_WORLD);
  CHECK(root_value == 1234, "Bcast %d", root_value);
  int reduced = -1;
  MPI_Reduce(&rank, rank == 0 ? &reduced : NULL, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
  CHECK(rank != 0 || reduced == size * (size - 1) / 2, "Reduce %d", reduced);

  int* gathered = malloc(sizeof(int) * (size_t)size * 2);
  int pair[2] = {rank, -rank};
  MPI_Gather(pair, 2, MPI_INT, rank == 0 ? gathered : NULL, 2, MPI_INT, 0, MPI_COMM_WORLD);
  for (int r = 0; rank == 0 && r < size; ++r) {
    CHECK(gathered[2 * r] == r && gathered[2 * r + 1] == -r, "Gather slot %d", r);
  }
  MPI_Allgather(pair, 2, MPI_INT, gathered, 2, MPI_INT, MPI_COMM_WORLD);
  CHECK(gathered[2 * (size - 1)] == size - 1, "Allgather");
  int mine = -1;
  for (int r = 0; r < size; ++r) {
    gathered[r] = r * 3;
  }
  MPI_Scatter(gathered, 1, MPI_INT, &mine, 1, MPI_INT, 0, MPI_COMM_WORLD);
  CHECK(mine == rank * 3, "Scatter %d", mine);

  /* Gatherv of rank+1 values each, with gaps between the blocks at the root. */
  int* counts = malloc(sizeof(int) * (size_t)size);
  int* displs = malloc(sizeof(int) * (size_t)size);
  int total = 0;
  for (int r = 0; r < size; ++r) {
    counts[r] = r + 1;
    displs[r] = total + 1; /* one int of gap before each block */
    total = displs[r] + counts[r];
  }
  int* all = malloc(sizeof(int) * (size_t)total);
  for (int i = 0; i < total; ++i) {
    all[i] = -7;
  }
  int* block = malloc(sizeof(int) * (size_t)(rank + 1));
  for (int i = 0; i <= rank; ++i) {
    block[i] = rank;
  }
  MPI_Gatherv(block, rank + 1, MPI_INT, all, counts, displs, MPI_INT, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    for (int r = 0; r < size; ++r) {
      CHECK(all[displs[r]] == r && all[displs[r] + r] == r, "Gatherv block %d", r);
      CHECK(all[displs[r] - 1] == -7, "Gatherv wrote into the gap before %d", r);
    }
  }
  MPI_Allgatherv(block, rank + 1, MPI_INT, all, counts, displs, MPI_INT, MPI_COMM_WORLD);
  CHECK(all[displs[size - 1]] == size - 1, "Allgatherv");

  /* Alltoall, Alltoallv, Alltoallw. */
  int* send = malloc(sizeof(int) * (size_t)size);
  int* recv = malloc(sizeof(int) * (size_t)size);
  for (int r = 0; r < size; ++r) {
    send[r] = rank * 1000 + r;
  }
  MPI_Alltoall(send, 1, MPI_INT, recv, 1, MPI_INT, MPI_COMM_WORLD);
  for (int r = 0; r < size; ++r) {
    CHECK(recv[r] == r * 1000 + rank, "Alltoall from %d: %d", r, recv[r]);
  }
  int* ones = malloc(sizeof(int) * (size_t)size);
  int* offsets = malloc(sizeof(int) * (size_t)size);
  int* byte_offsets = malloc(sizeof(int) * (size_t)size);
  MPI_Datatype* int_types = malloc(sizeof(MPI_Datatype) * (size_t)size);
  for (int r = 0; r < size; ++r) {
    ones[r] = 1;
    offsets[r] = size - 1 - r; /* reversed placement */
    byte_offsets[r] = (int)sizeof(int) * (size - 1 - r);
    int_types[r] = MPI_INT;
    recv[r] = -1;
  }
  MPI_Alltoallv(send, ones, offsets, MPI_INT, recv, ones, offsets, MPI_INT, MPI_COMM_WORLD);
  /* Peer r sends its element size-1-me, which lands at my slot size-1-r. */
  for (int r = 0; r < size; ++r) {
    CHECK(recv[size - 1 - r] == r * 1000 + (size - 1 - rank), "Alltoallv from %d: %d", r,
          recv[size - 1 - r]);
    recv[size - 1 - r] = -1;
  }
  MPI_Alltoallw(send, ones, byte_offsets, int_types, recv, ones, byte_offsets, int_types,
                MPI_COMM_WORLD);
  for (int r = 0; r < size; ++r) {
    CHECK(recv[size - 1 - r] == r * 1000 + (size - 1 - rank), "Alltoallw from %d: %d", r,
          recv[size - 1 - r]);
  }

  /* Reduce_scatter_block, Scan, Exscan. */
  for (int r = 0; r < size; ++r) {
    send[r] = r + rank;
  }
  int block_sum = -1;
  MPI_Reduce_scatter_block(send, &block_sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(block_sum == size * rank + size * (size - 1) / 2, "Reduce_scatter_block %d", block_sum);
  int prefix = -1;
  MPI_Scan(&rank, &prefix, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(prefix == rank * (rank + 1) / 2, "Scan %d", prefix);
  int exclusive = -1;
  MPI_Exscan(&rank, &exclusive, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  CHECK(rank == 0 || exclusive == rank * (rank - 1) / 2, "Exscan %d", exclusive);

  /* Non-blocking collectives, overlapped. */
  int isum = -1;
  int ibcast = rank == 0 ? 77 : 0;
  MPI_Request nb[3];
  MPI_Iallreduce(&rank, &isum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD, &nb[0]);
  MPI_Ibcast(&ibcast, 1, MPI_INT, 0, MPI_COMM_WORLD, &nb[1]);
  MPI_Ibarrier(MPI_COMM_WORLD, &nb[2]);
  MPI_Waitall(3, nb, MPI_STATUSES_IGNORE);
  CHECK(isum == size * (size - 1) / 2 && ibcast == 77, "non-blocking collectives");
  int igathered_ok = 1;
  MPI_Request gather_request;
  MPI_Iallgather(&rank, 1, MPI_INT, recv, 1, MPI_INT, MPI_COMM_WORLD, &gather_request);
  MPI_Wait(&gather_request, MPI_STATUS_IGNORE);
  for (int r = 0; r < size; ++r) {
    igathered_ok = igathered_ok && recv[r] == r;
  }
  CHECK(igathered_ok, "Iallgather");
  MPI_Barrier(MPI_COMM_WORLD);
  free(gathered), free(counts), free(displs), free(all), free(block), free(send), free(recv);
  free(ones), free(offsets), free(byte_offsets), free(int_types);
}

static void communicators(void) {
  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &half);
  int half_rank = -1;
  int half_size = -1;
  MPI_Comm_rank(half, &half_rank);
  MPI_Comm_size(half, &half_size);
  CHECK(half_size == (size + 1 - rank % 2) / 2, "split size %d", half_size);
  int sum = 0;
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, half);
  int want = 0;
  for (int r = rank % 2; r < size; r += 2) {
    want += r;
  }
  CHECK(sum == want, "Allreduce on split %d vs %d", sum, want);
  MPI_Comm copy;
  MPI_Comm_dup(half, &copy);
  int result = -1;
  MPI_Comm_compare(half, copy, &result);
  CHECK(result == MPI_CONGRUENT, "compare dup %d", result);
  MPI_Comm_set_name(copy, "copy");
  char name[MPI_MAX_OBJECT_NAME];
  int length = 0;
  MPI_Comm_get_name(copy, name, &length);
  CHECK(strcmp(name, "copy") == 0, "comm name '%s'", name);
  MPI_Comm_get_name(MPI_COMM_WORLD, name, &length);
  CHECK(strcmp(name, "MPI_COMM_WORLD") == 0, "world name '%s'", name);

  MPI_Group world_group;
  MPI_Group first;
  MPI_Comm_group(MPI_COMM_WORLD, &world_group);
  const int zero = 0;
  MPI_Group_incl(world_group, 1, &zero, &first);
  int group_size = -1;
  MPI_Group_size(first, &group_size);
  CHECK(group_size == 1, "Group_incl size %d", group_size);
  int translated = -1;
  MPI_Group_translate_ranks(first, 1, &zero, world_group, &translated);
  CHECK(translated == 0, "translate_ranks %d", translated);
  MPI_Comm only_first;
  MPI_Comm_create(MPI_COMM_WORLD, first, &only_first);
  CHECK((rank == 0) == (only_first != MPI_COMM_NULL), "Comm_create membership");
  if (only_first != MPI_COMM_NULL) {
    MPI_Comm_free(&only_first);
  }
  MPI_Group_free(&first);
  MPI_Group_free(&world_group);
  CHECK(first == MPI_GROUP_NULL, "Group_free did not reset the handle");

  /* Cartesian topology, shifts, Cart_sub and a neighbour collective with PROC_NULL. */
  int dims[2] = {0, 0};
  MPI_Dims_create(size, 2, dims);
  CHECK(dims[0] * dims[1] == size, "Dims_create %dx%d", dims[0], dims[1]);
  const int periods[2] = {1, 0};
  MPI_Comm cart;
  MPI_Cart_create(MPI_COMM_WORLD, 2, dims, periods, 0, &cart);
  int coords[2] = {-1, -1};
  int cart_rank = -1;
  MPI_Comm_rank(cart, &cart_rank);
  MPI_Cart_coords(cart, cart_rank, 2, coords);
  int back = -1;
  MPI_Cart_rank(cart, coords, &back);
  CHECK(back == cart_rank, "Cart_rank round trip %d vs %d", back, cart_rank);
  int up = -2;
  int down = -2;
  MPI_Cart_shift(cart, 1, 1, &up, &down);
  CHECK((coords[1] == 0) == (up == MPI_PROC_NULL), "non-periodic shift");
  int neighbours_out[4];
  int neighbours_in[4] = {-9, -9, -9, -9};
  for (int i = 0; i < 4; ++i) {
    neighbours_out[i] = cart_rank;
  }
  MPI_Neighbor_alltoall(neighbours_out, 1, MPI_INT, neighbours_in, 1, MPI_INT, cart);
  CHECK(neighbours_in[2] == (up == MPI_PROC_NULL ? -9 : up), "neighbour from PROC_NULL changed: %d",
        neighbours_in[2]);
  MPI_Comm row;
  const int keep[2] = {0, 1};
  MPI_Cart_sub(cart, keep, &row);
  int row_size = -1;
  MPI_Comm_size(row, &row_size);
  CHECK(row_size == dims[1], "Cart_sub size %d", row_size);
  int topology = -1;
  MPI_Topo_test(cart, &topology);
  CHECK(topology == MPI_CART, "Topo_test %d", topology);
  MPI_Comm_free(&row);
  MPI_Comm_free(&cart);
  MPI_Comm_free(&copy);
  MPI_Comm_free(&half);
  CHECK(half == MPI_COMM_NULL, "Comm_free did not reset the handle");
}

static void environment(void) {
  int* tag_ub = NULL;
  int flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
  CHECK(flag && tag_ub != NULL && *tag_ub >= 32767, "MPI_TAG_UB");
  int keyval = MPI_KEYVAL_INVALID;
  MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &keyval, NULL);
  static int payload = 5;
  MPI_Comm_set_attr(MPI_COMM_WORLD, keyval, &payload);
  int* found = NULL;
  MPI_Comm_get_attr(MPI_COMM_WORLD, keyval, &found, &flag);
  CHECK(flag && found == &payload, "user attribute comes back as the same pointer");
  MPI_Comm_delete_attr(MPI_COMM_WORLD, keyval);
  MPI_Comm_get_attr(MPI_COMM_WORLD, keyval, &found, &flag);
  CHECK(!flag, "deleted attribute still there");
  MPI_Comm_free_keyval(&keyval);
  CHECK(keyval == MPI_KEYVAL_INVALID, "free_keyval did not reset");

  MPI_Info info;
  MPI_Info_create(&info);
  MPI_Info_set(info, "color", "blue");
  char value[16];
  MPI_Info_get(info, "color", 15, value, &flag);
  CHECK(flag && strcmp(value, "blue") == 0, "Info_get '%s'", value);
  int nkeys = 0;
  MPI_Info_get_nkeys(info, &nkeys);
  CHECK(nkeys == 1, "nkeys %d", nkeys);
  MPI_Info_free(&info);
  CHECK(info == MPI_INFO_NULL, "Info_free did not reset");

  /* Errors returned instead of fatal: a send to a rank that does not exist. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int rc = MPI_Send(&rank, 1, MPI_INT, size + 5, 0, MPI_COMM_WORLD);
  int error_class = MPI_SUCCESS;
  MPI_Error_class(rc, &error_class);
  CHECK(rc != MPI_SUCCESS && error_class == MPI_ERR_RANK, "bad rank: class %d", error_class);
  MPI_Errhandler handler;
  MPI_Comm_get_errhandler(MPI_COMM_WORLD, &handler);
  CHECK(handler == MPI_ERRORS_RETURN, "get_errhandler");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);

  char host[MPI_MAX_PROCESSOR_NAME];
  int host_length = 0;
  MPI_Get_processor_name(host, &host_length);
  CHECK(host_length > 0 && (int)strlen(host) == host_length, "processor name");
  const MPI_Fint fortran = MPI_Comm_c2f(MPI_COMM_WORLD);
  CHECK(MPI_Comm_f2c(fortran) == MPI_COMM_WORLD, "c2f/f2c round trip");
  CHECK(MPI_Type_f2c(MPI_Type_c2f(MPI_DOUBLE)) == MPI_DOUBLE, "type c2f/f2c");
  const double t0 = MPI_Wtime();
  const double t1 = MPI_Wtime();
  CHECK(t1 >= t0 && MPI_Wtick() > 0, "Wtime %g %g tick %g", t0, t1, MPI_Wtick());
  int initialized = 0;
  MPI_Initialized(&initialized);
  CHECK(initialized, "MPI_Initialized");
  void* memory = NULL;
  MPI_Alloc_mem(64, MPI_INFO_NULL, &memory);
  CHECK(memory != NULL, "Alloc_mem");
  memset(memory, 1, 64);
  MPI_Free_mem(memory);
}

int main(int argc, char** argv) {
  int provided = -1;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  CHECK(provided >= MPI_THREAD_SINGLE && provided <= MPI_THREAD_MULTIPLE, "provided %d", provided);
  int queried = -1;
  MPI_Query_thread(&queried);
  CHECK(queried == provided, "MPI_Query_thread says %d, MPI_Init_thread gave %d", queried,
        provided);
  point_to_point();
  datatypes();
  collectives();
  communicators();
  environment();
  int all_failures = 0;
  MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  int finalized = 1;
  MPI_Finalized(&finalized);
  CHECK(!finalized, "MPI_Finalized before MPI_Finalize");
  MPI_Finalize();
  if (rank == 0 && all_failures == 0) {
    printf("mpi_coverage: %d checks passed on %d ranks\n", checks, size);
  }
  return all_failures == 0 ? 0 : 1;
}
