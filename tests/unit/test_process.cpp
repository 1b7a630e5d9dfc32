// run_foreground and background children against real child processes.
#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "process.hpp"

namespace ftmpi {
namespace {

TEST(RunForeground, PassesTheExitCodeThrough) {
  auto zero = run_foreground({"sh", "-c", "exit 0"});
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero.value(), 0);
  auto seven = run_foreground({"sh", "-c", "exit 7"});
  ASSERT_TRUE(seven.ok());
  EXPECT_EQ(seven.value(), 7);
}

TEST(RunForeground, ReportsDeathBySignalAsShellsDo) {
  auto killed = run_foreground({"sh", "-c", "kill -KILL $$"});
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed.value(), 128 + 9);
}

TEST(RunForeground, ForwardsTerminationToTheChild) {
  // The child signals its parent (this test) with SIGTERM, then waits to be killed by
  // the forwarded signal; without forwarding this test process itself would die.
  auto result =
      run_foreground({"sh", "-c",
                      "trap 'exit 42' TERM; kill -TERM $PPID; for i in 1 2 3 4 5 6 7 8 9 10; "
                      "do sleep 1; done; exit 1"});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value(), 42);
}

TEST(RunForeground, MissingProgramIsAnErrorNotACrash) {
  auto missing = run_foreground({"/nonexistent/program"});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/program"), std::string::npos);
  EXPECT_FALSE(run_foreground({}).ok());
}

TEST(Background, TwoChildrenRunAtOnceAndArePolledWithoutBlocking) {
  auto slow = start_background({"sh", "-c", "sleep 0.5; exit 3"});
  auto fast = start_background({"sh", "-c", "exit 4"});
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(wait_background(fast.value()), 4);
  EXPECT_FALSE(poll_background(slow.value()).has_value());  // still running
  std::optional<int> ended;
  for (int i = 0; i < 500 && !ended; ++i) {
    ended = poll_background(slow.value());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(*ended, 3);
}

TEST(Background, RecordedSignalsReachEveryChild) {
  record_forwarded_signals();
  auto one = start_background({"sh", "-c", "trap 'exit 11' USR1; while :; do sleep 0.05; done"});
  auto two = start_background({"sh", "-c", "trap 'exit 12' USR1; while :; do sleep 0.05; done"});
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(two.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the traps are set
  ::raise(SIGUSR1);
  EXPECT_EQ(wait_background(one.value()), 11);
  EXPECT_EQ(wait_background(two.value()), 12);
  EXPECT_EQ(forwarded_signal(), SIGUSR1);
}

TEST(Background, StopEndsAChildThatIgnoresTermination) {
  auto stubborn = start_background({"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"});
  ASSERT_TRUE(stubborn.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  stop_background(stubborn.value(), 0.3);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_NE(::kill(stubborn.value(), 0), 0);  // ended and reaped: no such process
}

}  // namespace
}  // namespace ftmpi
