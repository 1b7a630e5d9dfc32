// libftmpi's MPI interposition seen from an application linked against it: virtual
// handles, the creation log, requests, datatypes, operations, error handlers and the
// call statistics.  Each expectation is against MPI semantics, not against ftmpi's own
// output.
#include <mpi.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ftmpi/ftmpi.h"

namespace {

bool is_virtual(const void* handle) {
  int flag = -1;
  EXPECT_EQ(ftmpi_handle_is_virtual(handle, &flag), FTMPI_SUCCESS);
  return flag == 1;
}

long live(int kind) {
  long count = -1;
  EXPECT_EQ(ftmpi_live_handles(kind, &count), FTMPI_SUCCESS);
  return count;
}

std::string creation_log() {
  std::size_t needed = 0;
  EXPECT_EQ(ftmpi_creation_log_text(nullptr, 0, &needed), FTMPI_SUCCESS);
  std::string text(needed, '\0');
  EXPECT_EQ(ftmpi_creation_log_text(text.data(), text.size(), nullptr), FTMPI_SUCCESS);
  text.resize(needed - 1);
  return text;
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

TEST(Interposition, WorldStaysPredefinedAndBehavesAsWorld) {
  EXPECT_FALSE(is_virtual(MPI_COMM_WORLD));
  int result = -1;
  MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_IDENT);
  MPI_Comm dup = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Comm_dup(MPI_COMM_WORLD, &dup), MPI_SUCCESS);
  EXPECT_TRUE(is_virtual(dup));
  MPI_Comm_compare(MPI_COMM_WORLD, dup, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);
  MPI_Comm_free(&dup);
  EXPECT_EQ(dup, MPI_COMM_NULL);
  char name[MPI_MAX_OBJECT_NAME] = {};
  int length = 0;
  MPI_Comm_get_name(MPI_COMM_WORLD, name, &length);
  EXPECT_STREQ(name, "MPI_COMM_WORLD");
}

TEST(Interposition, SplitCreatesAVirtualHandleRecordedInTheLog) {
  const long comms_before = live(FTMPI_HANDLE_COMM);
  long log_before = 0;
  ftmpi_creation_log_size(&log_before);
  MPI_Comm half = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Comm_split(MPI_COMM_WORLD, rank() % 2, -rank(), &half), MPI_SUCCESS);
  EXPECT_TRUE(is_virtual(half));
  EXPECT_EQ(live(FTMPI_HANDLE_COMM), comms_before + 1);
  int half_size = 0;
  int half_rank = 0;
  MPI_Comm_size(half, &half_size);
  MPI_Comm_rank(half, &half_rank);
  EXPECT_EQ(half_size, (size() + 1 - rank() % 2) / 2);
  // key -rank reverses the order inside each half
  EXPECT_EQ(half_rank, half_size - 1 - rank() / 2);
  long log_after = 0;
  ftmpi_creation_log_size(&log_after);
  EXPECT_EQ(log_after, log_before + 1);
  const std::string text = creation_log();
  EXPECT_NE(text.find("MPI_Comm_split(comm="), std::string::npos) << text;
  EXPECT_NE(text.find("color=" + std::to_string(rank() % 2) + ", key=" + std::to_string(-rank())),
            std::string::npos)
      << text;
  MPI_Comm_free(&half);
  EXPECT_EQ(half, MPI_COMM_NULL);
  EXPECT_EQ(live(FTMPI_HANDLE_COMM), comms_before);
  EXPECT_NE(creation_log().find("MPI_Comm_free("), std::string::npos);
}

TEST(Interposition, NullAndPredefinedResultsStayAsMpiDefinesThem) {
  MPI_Comm none = MPI_COMM_WORLD;
  ASSERT_EQ(MPI_Comm_split(MPI_COMM_WORLD, MPI_UNDEFINED, 0, &none), MPI_SUCCESS);
  EXPECT_EQ(none, MPI_COMM_NULL);
  MPI_Group world_group = MPI_GROUP_NULL;
  MPI_Comm_group(MPI_COMM_WORLD, &world_group);
  EXPECT_TRUE(is_virtual(world_group));
  int group_size = 0;
  MPI_Group_size(world_group, &group_size);
  EXPECT_EQ(group_size, size());
  MPI_Group empty = MPI_GROUP_NULL;
  ASSERT_EQ(MPI_Group_incl(world_group, 0, nullptr, &empty), MPI_SUCCESS);
  EXPECT_EQ(empty, MPI_GROUP_EMPTY);
  MPI_Group_free(&world_group);
  EXPECT_EQ(world_group, MPI_GROUP_NULL);
}

TEST(Interposition, WaitallCompletesAndReleasesRequests) {
  const int n = size();
  const long requests_before = live(FTMPI_HANDLE_REQUEST);
  std::vector<int> in(static_cast<std::size_t>(n), -1);
  std::vector<MPI_Request> requests(2 * static_cast<std::size_t>(n), MPI_REQUEST_NULL);
  const int me = rank();
  for (int peer = 0; peer < n; ++peer) {
    MPI_Irecv(&in[static_cast<std::size_t>(peer)], 1, MPI_INT, peer, 7, MPI_COMM_WORLD,
              &requests[static_cast<std::size_t>(peer)]);
  }
  for (int peer = 0; peer < n; ++peer) {
    MPI_Isend(&me, 1, MPI_INT, peer, 7, MPI_COMM_WORLD,
              &requests[static_cast<std::size_t>(n) + static_cast<std::size_t>(peer)]);
  }
  for (const MPI_Request r : requests) {
    EXPECT_TRUE(is_virtual(r));
  }
  EXPECT_EQ(live(FTMPI_HANDLE_REQUEST), requests_before + 2L * n);
  ASSERT_EQ(MPI_Waitall(2 * n, requests.data(), MPI_STATUSES_IGNORE), MPI_SUCCESS);
  for (const MPI_Request r : requests) {
    EXPECT_EQ(r, MPI_REQUEST_NULL);
  }
  EXPECT_EQ(live(FTMPI_HANDLE_REQUEST), requests_before);
  for (int peer = 0; peer < n; ++peer) {
    EXPECT_EQ(in[static_cast<std::size_t>(peer)], peer);
  }
}

TEST(Interposition, PersistentRequestsSurviveCompletionAndAreLogged) {
  const int right = (rank() + 1) % size();
  const int left = (rank() + size() - 1) % size();
  double out = 0.0;
  double in = 0.0;
  MPI_Request req[2];
  MPI_Recv_init(&in, 1, MPI_DOUBLE, left, 3, MPI_COMM_WORLD, &req[0]);
  MPI_Send_init(&out, 1, MPI_DOUBLE, right, 3, MPI_COMM_WORLD, &req[1]);
  for (int round = 0; round < 3; ++round) {
    out = rank() * 10.0 + round;
    MPI_Startall(2, req);
    // The MPI checker does not model persistent requests started by MPI_Startall.
    MPI_Waitall(2, req, MPI_STATUSES_IGNORE);  // NOLINT(clang-analyzer-optin.mpi.MPI-Checker)
    EXPECT_EQ(in, left * 10.0 + round);
    EXPECT_TRUE(is_virtual(req[0]));
    EXPECT_TRUE(is_virtual(req[1]));
  }
  const std::string text = creation_log();
  EXPECT_NE(text.find("MPI_Recv_init("), std::string::npos);
  EXPECT_NE(text.find("MPI_Send_init("), std::string::npos);
  MPI_Request_free(&req[0]);
  MPI_Request_free(&req[1]);
  EXPECT_EQ(req[0], MPI_REQUEST_NULL);
  EXPECT_EQ(req[1], MPI_REQUEST_NULL);
}

TEST(Interposition, DerivedDatatypesCarryData) {
  // Every other element of 8 doubles, sent to the right neighbour.
  MPI_Datatype strided = MPI_DATATYPE_NULL;
  ASSERT_EQ(MPI_Type_vector(4, 1, 2, MPI_DOUBLE, &strided), MPI_SUCCESS);
  EXPECT_TRUE(is_virtual(strided));
  MPI_Type_commit(&strided);
  EXPECT_TRUE(is_virtual(strided));
  int type_size = 0;
  MPI_Type_size(strided, &type_size);
  EXPECT_EQ(type_size, 4 * 8);
  int integers = 0;
  int addresses = 0;
  int datatypes = 0;
  int combiner = 0;
  MPI_Type_get_envelope(strided, &integers, &addresses, &datatypes, &combiner);
  EXPECT_EQ(combiner, MPI_COMBINER_VECTOR);
  std::vector<int> ints(static_cast<std::size_t>(integers));
  MPI_Datatype inner = MPI_DATATYPE_NULL;
  MPI_Type_get_contents(strided, integers, addresses, 1, ints.data(), nullptr, &inner);
  EXPECT_EQ(inner, MPI_DOUBLE);
  EXPECT_EQ(ints, (std::vector<int>{4, 1, 2}));

  std::vector<double> out(8);
  std::iota(out.begin(), out.end(), rank() * 100.0);
  std::vector<double> in(4, -1.0);
  const int right = (rank() + 1) % size();
  const int left = (rank() + size() - 1) % size();
  MPI_Sendrecv(out.data(), 1, strided, right, 0, in.data(), 4, MPI_DOUBLE, left, 0, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(in[static_cast<std::size_t>(i)], left * 100.0 + 2 * i);
  }
  MPI_Type_free(&strided);
  EXPECT_EQ(strided, MPI_DATATYPE_NULL);
}

void max_abs(void* in, void* inout, int* len, MPI_Datatype* type) {
  (void)type;
  auto* a = static_cast<int*>(in);
  auto* b = static_cast<int*>(inout);
  for (int i = 0; i < *len; ++i) {
    const int x = a[i] < 0 ? -a[i] : a[i];
    const int y = b[i] < 0 ? -b[i] : b[i];
    b[i] = x > y ? x : y;
  }
}

TEST(Interposition, UserOperationsReduce) {
  MPI_Op op = MPI_OP_NULL;
  ASSERT_EQ(MPI_Op_create(max_abs, 1, &op), MPI_SUCCESS);
  EXPECT_TRUE(is_virtual(op));
  const int mine = (rank() % 2 == 0 ? 1 : -1) * (rank() + 1);  // 1, -2, 3, ...: max |x| = size
  int result = 0;
  MPI_Allreduce(&mine, &result, 1, MPI_INT, op, MPI_COMM_WORLD);
  EXPECT_EQ(result, size());
  MPI_Op_free(&op);
  EXPECT_EQ(op, MPI_OP_NULL);
}

TEST(Interposition, ErrorHandlersOnWorldApply) {
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int value = 1;
  const int rc = MPI_Send(&value, 1, MPI_INT, size() + 5, 0, MPI_COMM_WORLD);
  EXPECT_NE(rc, MPI_SUCCESS);
  int error_class = 0;
  MPI_Error_class(rc, &error_class);
  EXPECT_EQ(error_class, MPI_ERR_RANK);
  MPI_Errhandler handler = MPI_ERRHANDLER_NULL;
  MPI_Comm_get_errhandler(MPI_COMM_WORLD, &handler);
  EXPECT_EQ(handler, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
}

TEST(Interposition, WorldAttributesAreThere) {
  void* value = nullptr;
  int flag = 0;
  ASSERT_EQ(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &value, &flag), MPI_SUCCESS);
  ASSERT_NE(flag, 0);
  EXPECT_GE(*static_cast<int*>(value), 32767);
}

TEST(Interposition, CartesianTopologyAndNeighbourCollectives) {
  int dims[1] = {size()};
  int periods[1] = {1};
  MPI_Comm ring = MPI_COMM_NULL;
  ASSERT_EQ(MPI_Cart_create(MPI_COMM_WORLD, 1, dims, periods, 0, &ring), MPI_SUCCESS);
  EXPECT_TRUE(is_virtual(ring));
  int topology = MPI_UNDEFINED;
  MPI_Topo_test(ring, &topology);
  EXPECT_EQ(topology, MPI_CART);
  const int mine = rank();
  int from[2] = {-1, -1};
  ASSERT_EQ(MPI_Neighbor_allgather(&mine, 1, MPI_INT, from, 1, MPI_INT, ring), MPI_SUCCESS);
  EXPECT_EQ(from[0], (rank() + size() - 1) % size());
  EXPECT_EQ(from[1], (rank() + 1) % size());
  EXPECT_NE(creation_log().find("MPI_Cart_create("), std::string::npos);
  MPI_Comm_free(&ring);
}

TEST(Interposition, AlltoallwTranslatesHandleArrays) {
  const auto n = static_cast<std::size_t>(size());
  MPI_Datatype pair = MPI_DATATYPE_NULL;
  MPI_Type_contiguous(2, MPI_INT, &pair);
  MPI_Type_commit(&pair);
  std::vector<int> out(2 * n);
  std::vector<int> in(2 * n, -1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = rank() * 1000 + static_cast<int>(i);
  }
  std::vector<int> counts(n, 1);
  std::vector<int> displs(n);
  for (std::size_t i = 0; i < n; ++i) {
    displs[i] = static_cast<int>(i * 2 * sizeof(int));
  }
  std::vector<MPI_Datatype> types(n, pair);
  MPI_Request request = MPI_REQUEST_NULL;
  ASSERT_EQ(MPI_Ialltoallw(out.data(), counts.data(), displs.data(), types.data(), in.data(),
                           counts.data(), displs.data(), types.data(), MPI_COMM_WORLD, &request),
            MPI_SUCCESS);
  // The MPI checker does not know MPI_Ialltoallw.
  MPI_Wait(&request, MPI_STATUS_IGNORE);  // NOLINT(clang-analyzer-optin.mpi.MPI-Checker)
  for (std::size_t peer = 0; peer < n; ++peer) {
    EXPECT_EQ(in[2 * peer], static_cast<int>(peer) * 1000 + 2 * rank());
    EXPECT_EQ(in[2 * peer + 1], static_cast<int>(peer) * 1000 + 2 * rank() + 1);
  }
  MPI_Type_free(&pair);
}

TEST(Interposition, CallStatisticsCountCallsAndBytes) {
  std::uint64_t calls_before = 0;
  std::uint64_t bytes_before = 0;
  ASSERT_EQ(ftmpi_call_stats("MPI_Bcast", &calls_before, nullptr, &bytes_before), FTMPI_SUCCESS);
  std::vector<double> data(10, 1.5);
  for (int i = 0; i < 3; ++i) {
    MPI_Bcast(data.data(), 10, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  }
  std::uint64_t calls = 0;
  std::uint64_t ns = 0;
  std::uint64_t bytes = 0;
  ASSERT_EQ(ftmpi_call_stats("MPI_Bcast", &calls, &ns, &bytes), FTMPI_SUCCESS);
  EXPECT_EQ(calls - calls_before, 3U);
  EXPECT_EQ(bytes - bytes_before, 3UL * 10UL * sizeof(double));
  EXPECT_GT(ns, 0U);
  EXPECT_EQ(ftmpi_call_stats("MPI_Win_create", &calls, nullptr, nullptr), FTMPI_ERR_NOT_FOUND);
}

}  // namespace
