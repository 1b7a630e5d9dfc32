#include <barrier>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mpi/call_stats.hpp"

namespace {

using ftmpi::CallId;

// Each thread counts in its own block: the totals hold every thread's calls, while the
// threads run and after they ended, and nothing is lost to threads counting at once.
TEST(CallStats, SumsTheCallsOfEveryThreadRunningOrEnded) {
  ftmpi::CallStats& stats = ftmpi::call_stats();
  const ftmpi::CallTotals before = stats.of(CallId::MPI_Get_count);
  constexpr int k_threads = 4;
  constexpr int k_calls = 100000;
  std::barrier counted(k_threads + 1);
  std::barrier checked(k_threads + 1);
  std::vector<std::thread> threads;
  threads.reserve(k_threads);
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < k_calls; ++i) {
        stats.record(CallId::MPI_Get_count, 3, 2);
      }
      counted.arrive_and_wait();
      checked.arrive_and_wait();
    });
  }
  counted.arrive_and_wait();
  const ftmpi::CallTotals running = stats.of(CallId::MPI_Get_count);
  checked.arrive_and_wait();
  for (auto& thread : threads) {
    thread.join();
  }
  const ftmpi::CallTotals ended = stats.of(CallId::MPI_Get_count);
  constexpr std::uint64_t k_all = std::uint64_t{k_threads} * k_calls;
  EXPECT_EQ(running.calls - before.calls, k_all);
  EXPECT_EQ(running.bytes - before.bytes, 2 * k_all);
  EXPECT_EQ(ended.calls - before.calls, k_all);
  EXPECT_EQ(ended.bytes - before.bytes, 2 * k_all);
  EXPECT_EQ(ended.ns, running.ns);
  EXPECT_NEAR(static_cast<double>(ended.ns - before.ns),  // each total rounds on its own
              static_cast<double>(ftmpi::TickClock::process().to_ns(3 * k_all)), 2.0);
}

// A call's time is the ticks between its scope's start and end, in nanoseconds.
TEST(CallStats, ACallScopeRecordsItsTimeAndBytes) {
  ftmpi::CallStats& stats = ftmpi::call_stats();
  const ftmpi::CallTotals before = stats.of(CallId::MPI_Get_elements);
  const std::uint64_t start = ftmpi::monotonic_ns();
  {
    ftmpi::CallScope scope(CallId::MPI_Get_elements);
    scope.add_bytes(40);
    {
      ftmpi::CallScope inner(CallId::MPI_Get_count);  // nested: counts as the outer call
      inner.add_bytes(2);
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
  }
  const std::uint64_t took = ftmpi::monotonic_ns() - start;
  const ftmpi::CallTotals after = stats.of(CallId::MPI_Get_elements);
  EXPECT_EQ(after.calls - before.calls, 1U);
  EXPECT_EQ(after.bytes - before.bytes, 42U);
  EXPECT_GE(static_cast<double>(after.ns - before.ns), 0.98 * 60e6);
  EXPECT_LE(static_cast<double>(after.ns - before.ns), 1.02 * static_cast<double>(took));
}

}  // namespace
