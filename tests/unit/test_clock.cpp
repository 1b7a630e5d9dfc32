#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

#include "util/clock.hpp"

namespace {

// How long `clock` says a sleep of `ms` took, and how long CLOCK_MONOTONIC says.
std::pair<std::uint64_t, std::uint64_t> time_a_sleep(ftmpi::TickClock& clock, int ms) {
  const std::uint64_t ns0 = ftmpi::monotonic_ns();
  const std::uint64_t t0 = clock.now();
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  const std::uint64_t t1 = clock.now();
  const std::uint64_t ns1 = ftmpi::monotonic_ns();
  return {clock.to_ns(t1 - t0), ns1 - ns0};
}

TEST(TickClock, WithoutTheCounterTicksAreMonotonicNanoseconds) {
  ftmpi::TickClock clock(false);
  EXPECT_FALSE(clock.counts_tsc());
  EXPECT_EQ(clock.to_ns(123456789), 123456789U);
  const std::uint64_t before = ftmpi::monotonic_ns();
  const std::uint64_t ticks = clock.now();
  EXPECT_GE(ticks, before);
  EXPECT_LE(ticks, ftmpi::monotonic_ns());
}

TEST(TickClock, TheProcessClockCountsTheCounterWhereItIsReliable) {
  EXPECT_EQ(ftmpi::TickClock::process().counts_tsc(), ftmpi::TickClock::tsc_is_reliable());
  const std::uint64_t a = ftmpi::fast_ticks();
  const std::uint64_t b = ftmpi::fast_ticks();
  EXPECT_LE(a, b);
}

// Converted at once (before its 10 ms of calibration passed), then later: both within 2 % of
// CLOCK_MONOTONIC, and a sum of many short stretches converts to their total.
TEST(TickClock, ConvertsToNanosecondsOfTheMonotonicClock) {
  ftmpi::TickClock clock(ftmpi::TickClock::tsc_is_reliable());
  const auto [early, early_ns] = time_a_sleep(clock, 20);
  EXPECT_NEAR(static_cast<double>(early), static_cast<double>(early_ns),
              0.02 * static_cast<double>(early_ns));
  const auto [late, late_ns] = time_a_sleep(clock, 80);
  EXPECT_NEAR(static_cast<double>(late), static_cast<double>(late_ns),
              0.02 * static_cast<double>(late_ns));

  std::uint64_t ticks = 0;
  const std::uint64_t ns0 = ftmpi::monotonic_ns();
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t t0 = clock.now();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    ticks += clock.now() - t0;
  }
  const double total = static_cast<double>(ftmpi::monotonic_ns() - ns0);
  const double inside = static_cast<double>(clock.to_ns(ticks));
  EXPECT_LE(inside, total * 1.02);
  EXPECT_GE(inside, total * 0.9);  // the loop's own time is outside the stretches
}

}  // namespace
