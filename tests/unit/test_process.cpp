// run_foreground against real child processes.
#include <string>
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

}  // namespace
}  // namespace ftmpi
