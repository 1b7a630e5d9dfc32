#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "util/job_dir.hpp"

namespace {

namespace fs = std::filesystem;

// A fresh folder standing for /dev/shm (in the test's scratch folder).
std::string fresh_parent(const std::string& name) {
  std::string parent = fs::absolute(name).string();
  fs::remove_all(parent);
  fs::create_directories(parent);
  return parent;
}

void touch(const std::string& path) {
  std::ofstream(path) << "x";
}

TEST(JobDir, TheLastHolderToLeaveRemovesIt) {
  const std::string parent = fresh_parent("job-dir-last");
  const std::string dir = parent + "/" + ftmpi::k_job_dir_prefix + "a";
  auto first = ftmpi::hold_job_dir(dir);
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = ftmpi::hold_job_dir(dir);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  touch(dir + "/ftmpi-1-0.channel");

  EXPECT_FALSE(first.value().release_and_remove_if_unheld()) << "the second still holds it";
  EXPECT_TRUE(fs::exists(dir + "/ftmpi-1-0.channel"));
  EXPECT_EQ(ftmpi::sweep_stale_job_dirs(parent), 0) << "held: not stale";
  EXPECT_TRUE(fs::is_directory(dir));

  EXPECT_TRUE(second.value().release_and_remove_if_unheld());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::is_empty(parent)) << "nothing left beside it";
  EXPECT_FALSE(second.value().release_and_remove_if_unheld()) << "released once";
}

// What a job killed with SIGKILL leaves is removed by the next sweep; what is held,
// what is not a job's and what an older ftmpi left with files in it are not.
TEST(JobDir, TheSweepRemovesWhatNobodyHolds) {
  const std::string parent = fresh_parent("job-dir-sweep");
  const std::string prefix = parent + "/" + ftmpi::k_job_dir_prefix;

  // A proxy that dies with SIGKILL, its channel still there.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto held = ftmpi::hold_job_dir(prefix + "killed");
    touch(prefix + "killed/ftmpi-7-0.channel");
    const char c = held.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto alive = ftmpi::hold_job_dir(prefix + "alive");  // this process's own: held
  ASSERT_TRUE(alive.ok());
  touch(prefix + "alive/ftmpi-8-0.channel");
  EXPECT_EQ(ftmpi::sweep_stale_job_dirs(parent), 0) << "both are held while the child lives";
  EXPECT_TRUE(fs::exists(prefix + "killed/ftmpi-7-0.channel"));

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  fs::create_directory(prefix + "empty");  // made, never used
  fs::create_directory(prefix + "older");  // an older ftmpi's: no .holders, not empty
  touch(prefix + "older/ftmpi-9-0.channel");
  fs::create_directory(parent + "/other");  // not a job directory
  touch(parent + "/other/.holders");
  fs::create_directories(parent + "/ftmpi-stale-ftmpi-job-x/sub");  // a sweep cut short

  EXPECT_EQ(ftmpi::sweep_stale_job_dirs(parent), 2);
  EXPECT_FALSE(fs::exists(prefix + "killed"));
  EXPECT_FALSE(fs::exists(prefix + "empty"));
  EXPECT_FALSE(fs::exists(parent + "/ftmpi-stale-ftmpi-job-x"));
  EXPECT_TRUE(fs::exists(prefix + "alive/ftmpi-8-0.channel"));
  EXPECT_TRUE(fs::exists(prefix + "older/ftmpi-9-0.channel"));
  EXPECT_TRUE(fs::exists(parent + "/other/.holders"));

  // A newcomer to a swept name makes it afresh.
  auto again = ftmpi::hold_job_dir(prefix + "killed");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(prefix + "killed"), fs::directory_iterator()), 1)
      << "only its .holders";
  EXPECT_EQ(ftmpi::sweep_stale_job_dirs(parent), 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(JobDir, AFreshOneIsMadeAfterTheSweep) {
  const std::string parent = fresh_parent("job-dir-make");
  const std::string stale = parent + "/" + ftmpi::k_job_dir_prefix + "stale";
  fs::create_directory(stale);  // made, never held
  auto made = ftmpi::make_job_dir(parent);
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_FALSE(fs::exists(stale));
  const std::string name = fs::path(made.value().dir()).filename().string();
  EXPECT_TRUE(ftmpi::is_job_dir_name(name)) << name;
  EXPECT_EQ(fs::path(made.value().dir()).parent_path().string(), parent);
  EXPECT_EQ(ftmpi::sweep_stale_job_dirs(parent), 0) << "the fresh one is held";
  auto second = ftmpi::make_job_dir(parent);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second.value().dir(), made.value().dir());
  EXPECT_TRUE(made.value().release_and_remove_if_unheld());
  EXPECT_FALSE(fs::exists(fs::path(parent) / name));

  auto nowhere = ftmpi::make_job_dir("/nonexistent-parent");
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(nowhere.status().message().find("/nonexistent-parent"), std::string::npos)
      << nowhere.status().message();
}

TEST(JobDir, ACleanErrorWhereItCannotBeMade) {
  auto held = ftmpi::hold_job_dir("/nonexistent-parent/ftmpi-job-x");
  ASSERT_FALSE(held.ok());
  EXPECT_NE(held.status().message().find("/nonexistent-parent/ftmpi-job-x"), std::string::npos)
      << held.status().message();
  EXPECT_EQ(ftmpi::sweep_stale_job_dirs("/nonexistent-parent"), 0);
}

}  // namespace
