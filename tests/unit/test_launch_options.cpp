#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "launch_options.hpp"

namespace ftmpi {
namespace {

std::variant<LaunchOptions, EarlyExit> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "ftmpi-launch");
  return parse_launch_options(args);
}

const LaunchOptions& options_of(const std::variant<LaunchOptions, EarlyExit>& parsed) {
  if (const auto* early = std::get_if<EarlyExit>(&parsed)) {
    ADD_FAILURE() << "unexpected early exit " << early->exit_code << ": " << early->text;
  }
  return std::get<LaunchOptions>(parsed);
}

TEST(LaunchOptions, MpirunStyleRankCount) {
  for (const char* flag : {"-np", "-n", "--np"}) {
    auto parsed = parse({flag, "4", "./app", "-x", "1"});
    ASSERT_TRUE(std::holds_alternative<LaunchOptions>(parsed)) << flag;
    const auto& options = options_of(parsed);
    EXPECT_EQ(options.spec.ranks, 4);
    EXPECT_EQ(options.spec.program, "./app");
    EXPECT_EQ(options.spec.program_args, (std::vector<std::string>{"-x", "1"}));
  }
}

TEST(LaunchOptions, ProgramArgumentsAreNeverParsedAsOurs) {
  auto parsed = parse({"-np", "2", "./app", "-np", "8", "--mode", "x", "--help"});
  const auto& options = options_of(parsed);
  EXPECT_EQ(options.spec.ranks, 2);
  EXPECT_EQ(options.spec.program_args,
            (std::vector<std::string>{"-np", "8", "--mode", "x", "--help"}));
}

TEST(LaunchOptions, DoubleDashStartsTheProgram) {
  auto parsed = parse({"-np", "1", "--", "-weird-name", "a"});
  const auto& options = options_of(parsed);
  EXPECT_EQ(options.spec.program, "-weird-name");
  EXPECT_EQ(options.spec.program_args, (std::vector<std::string>{"a"}));
}

TEST(LaunchOptions, AllOptions) {
  auto parsed =
      parse({"--mode", "native", "--hostfile", "/dev/null", "--oversubscribe",
             "--allow-run-as-root", "--mpirun-arg=--bind-to", "--mpirun-arg", "core", "--mpirun",
             "/opt/mpi/bin/mpirun", "--dry-run", "--log-level", "debug", "-np", "3", "prog"});
  const auto& options = options_of(parsed);
  EXPECT_EQ(options.mode, LaunchMode::native);
  ASSERT_TRUE(options.spec.hostfile.has_value());
  EXPECT_EQ(*options.spec.hostfile, "/dev/null");
  EXPECT_TRUE(options.spec.oversubscribe);
  EXPECT_TRUE(options.spec.allow_run_as_root);
  EXPECT_EQ(options.spec.launcher_args, (std::vector<std::string>{"--bind-to", "core"}));
  EXPECT_EQ(options.mpirun, "/opt/mpi/bin/mpirun");
  EXPECT_TRUE(options.dry_run);
  EXPECT_EQ(options.log_level, spdlog::level::debug);
}

TEST(LaunchOptions, MigrationsPrelaunchAndPrecopyUnlessTurnedOff) {
  EXPECT_FALSE(options_of(parse({"-np", "1", "prog"})).no_prelaunch);
  EXPECT_TRUE(options_of(parse({"--no-prelaunch", "-np", "1", "prog"})).no_prelaunch);
  EXPECT_TRUE(options_of(parse({"-np", "1", "prog"})).precopy);
  EXPECT_TRUE(options_of(parse({"--precopy", "-np", "1", "prog"})).precopy);
  EXPECT_FALSE(options_of(parse({"--no-precopy", "-np", "1", "prog"})).precopy);
}

TEST(LaunchOptions, TransparentModeParses) {
  const auto& options = options_of(parse({"--mode", "transparent", "-np", "1", "prog"}));
  EXPECT_EQ(options.mode, LaunchMode::transparent);
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& fragment) {
  auto parsed = parse(args);
  ASSERT_TRUE(std::holds_alternative<EarlyExit>(parsed)) << fragment;
  const auto& early = std::get<EarlyExit>(parsed);
  EXPECT_EQ(early.exit_code, k_exit_usage);
  EXPECT_TRUE(early.to_stderr);
  EXPECT_NE(early.text.find(fragment), std::string::npos) << early.text;
}

TEST(LaunchOptions, BadCommandLinesAreUsageErrors) {
  expect_usage_error({"./app"}, "np");
  expect_usage_error({"-np", "0", "./app"}, "np");
  expect_usage_error({"-np", "two", "./app"}, "np");
  expect_usage_error({"-np", "2"}, "no PROGRAM");
  expect_usage_error({"--bogus", "-np", "2", "./app"}, "--bogus");
  expect_usage_error({"-np", "2", "--mode", "magic", "./app"}, "magic");
  expect_usage_error({"-np", "2", "--hostfile", "/nonexistent/hosts", "./app"},
                     "/nonexistent/hosts");
  expect_usage_error({"-np", "2", "--log-level", "loud", "./app"}, "loud");
}

TEST(LaunchOptions, HelpAndVersionExitZeroOnStdout) {
  auto help = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<EarlyExit>(help));
  EXPECT_EQ(std::get<EarlyExit>(help).exit_code, 0);
  EXPECT_FALSE(std::get<EarlyExit>(help).to_stderr);
  const std::string& text = std::get<EarlyExit>(help).text;
  for (const char* expected : {"Usage: ftmpi-launch", "--hostfile", "--mode", "--mpirun-arg", "-np",
                               "Examples:", "exit code"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  }
  auto version = parse({"--version"});
  ASSERT_TRUE(std::holds_alternative<EarlyExit>(version));
  EXPECT_EQ(std::get<EarlyExit>(version).exit_code, 0);
  EXPECT_NE(std::get<EarlyExit>(version).text.find(FTMPI_VERSION_STRING), std::string::npos);
}

}  // namespace
}  // namespace ftmpi
