// Cost of one MPI call, built twice: against Open MPI alone (bench_calls_native) and with
// libftmpi interposed (bench_calls_ftmpi).  bench/call_overhead.sh runs both on one rank
// and prints the per-call difference.  The calls are local (no peer), so the numbers
// are the wrappers' own cost: handle translation, statistics, the telemetry check.
#include <mpi.h>

#include <benchmark/benchmark.h>

namespace {

void comm_rank_world(benchmark::State& state) {
  int rank = 0;
  for (auto _ : state) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    benchmark::DoNotOptimize(rank);
  }
}
BENCHMARK(comm_rank_world);

void type_size_derived(benchmark::State& state) {
  MPI_Datatype vector = MPI_DATATYPE_NULL;
  MPI_Type_vector(4, 1, 2, MPI_DOUBLE, &vector);
  MPI_Type_commit(&vector);
  int size = 0;
  for (auto _ : state) {
    MPI_Type_size(vector, &size);
    benchmark::DoNotOptimize(size);
  }
  MPI_Type_free(&vector);
}
BENCHMARK(type_size_derived);

void isend_irecv_self(benchmark::State& state) {
  double out = 1.0;
  double in = 0.0;
  for (auto _ : state) {
    MPI_Request requests[2];
    MPI_Irecv(&in, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &requests[0]);
    MPI_Isend(&out, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &requests[1]);
    MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
    benchmark::DoNotOptimize(in);
  }
}
BENCHMARK(isend_irecv_self);

void allreduce_one(benchmark::State& state) {
  double value = 1.0;
  double sum = 0.0;
  for (auto _ : state) {
    MPI_Allreduce(&value, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(allreduce_one);

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  MPI_Finalize();
  return 0;
}
