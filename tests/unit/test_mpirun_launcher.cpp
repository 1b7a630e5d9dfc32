#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "job_launcher.hpp"

namespace ftmpi {
namespace {

TEST(MpirunLauncher, MinimalCommand) {
  const auto launcher = make_mpirun_launcher("/usr/bin/mpirun");
  EXPECT_EQ(launcher->name(), "mpirun");
  LaunchSpec spec;
  spec.ranks = 4;
  spec.program = "/bin/app";
  auto command = launcher->command(spec);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command.value(), (std::vector<std::string>{"/usr/bin/mpirun", "-np", "4", "/bin/app"}));
}

TEST(MpirunLauncher, EveryPartInMpirunOrder) {
  const auto launcher = make_mpirun_launcher("mpirun");
  LaunchSpec spec;
  spec.ranks = 2;
  spec.hostfile = "hosts";
  spec.oversubscribe = true;
  spec.allow_run_as_root = true;
  spec.launcher_args = {"--bind-to", "core"};
  spec.program = "/bin/app";
  spec.program_args = {"-n", "10"};
  auto command = launcher->command(spec);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command.value(),
            (std::vector<std::string>{"mpirun", "--hostfile", "hosts", "--oversubscribe",
                                      "--allow-run-as-root", "--bind-to", "core", "-np", "2",
                                      "/bin/app", "-n", "10"}));
}

TEST(MpirunLauncher, CoreBindingComesBeforeTheUsersArguments) {
  const auto launcher = make_mpirun_launcher("mpirun");
  LaunchSpec spec;
  spec.ranks = 2;
  spec.bind_to_cores = true;
  spec.launcher_args = {"--report-bindings"};
  spec.program = "/bin/app";
  auto command = launcher->command(spec);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command.value(),
            (std::vector<std::string>{"mpirun", "--bind-to", "core:overload-allowed",
                                      "--report-bindings", "-np", "2", "/bin/app"}));
}

TEST(MpirunLauncher, HiddenRankIsASecondContextWithTheSameEnvironment) {
  const auto launcher = make_mpirun_launcher("mpirun");
  LaunchSpec spec;
  spec.ranks = 3;
  spec.environment = {"A=1", "B=two"};
  spec.rank_wrapper = {"/bin/wrap", "--"};
  spec.program = "/bin/app";
  spec.program_args = {"x"};
  spec.hidden_rank = {"/bin/hidden", "--flag"};
  auto command = launcher->command(spec);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(
      command.value(),
      (std::vector<std::string>{
          "mpirun", "-np", "3", "-x", "A=1", "-x", "B=two", "/bin/wrap",   "--",    "/bin/app", "x",
          ":",      "-np", "1", "-x", "A=1", "-x", "B=two", "/bin/hidden", "--flag"}));
}

TEST(MpirunLauncher, RefusesImpossibleSpecs) {
  const auto launcher = make_mpirun_launcher("mpirun");
  LaunchSpec spec;
  spec.program = "/bin/app";
  EXPECT_EQ(launcher->command(spec).status().code(), StatusCode::invalid_argument);
  spec.ranks = 1;
  spec.program.clear();
  EXPECT_EQ(launcher->command(spec).status().code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace ftmpi
