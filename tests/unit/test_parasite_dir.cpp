#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "ckpt/criu.hpp"

namespace {

namespace fs = std::filesystem;

// A process whose working directory is `dir`, as a dumped application's is.
class ProcessIn {
 public:
  explicit ProcessIn(const std::string& dir) {
    m_pid = ::fork();
    if (m_pid == 0) {
      if (::chdir(dir.c_str()) != 0) {
        ::_exit(1);
      }
      ::pause();
      ::_exit(0);
    }
  }
  ProcessIn(const ProcessIn&) = delete;
  ProcessIn& operator=(const ProcessIn&) = delete;
  ProcessIn(ProcessIn&&) = delete;
  ProcessIn& operator=(ProcessIn&&) = delete;
  ~ProcessIn() {
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
  }
  [[nodiscard]] pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
};

void age(const std::string& path, int seconds) {
  timespec times[2];
  ::clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds;
  times[1] = times[0];
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// Only what a dump cut short leaves is removed: an empty proc.crtools older than the
// few milliseconds a parasite needs; not one a dump (on another node sharing the
// directory) may be using right now, and not a directory of the user's with that name.
TEST(ParasiteLeftover, OnlyAnOldEmptyProcCrtoolsIsRemoved) {
  const std::string dir = fs::absolute("parasite-cwd").string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string left = dir + "/proc.crtools";
  ProcessIn app(dir);
  ASSERT_GT(app.pid(), 0);
  const std::string cwd = "/proc/" + std::to_string(app.pid()) + "/cwd";
  std::error_code ec;
  for (int i = 0; i < 200 && fs::read_symlink(cwd, ec) != dir; ++i) {
    ::usleep(10000);  // until the child is in it
  }
  ASSERT_EQ(fs::read_symlink(cwd, ec), dir);

  EXPECT_FALSE(ftmpi::remove_stale_parasite_dir(app.pid())) << "nothing there";

  fs::create_directory(left);
  EXPECT_FALSE(ftmpi::remove_stale_parasite_dir(app.pid())) << "fresh: maybe in use";
  EXPECT_TRUE(fs::is_directory(left));

  age(left, 60);
  EXPECT_TRUE(ftmpi::remove_stale_parasite_dir(app.pid()));
  EXPECT_FALSE(fs::exists(left));

  fs::create_directory(left);
  std::ofstream(left + "/data") << "mine";
  age(left, 60);
  EXPECT_FALSE(ftmpi::remove_stale_parasite_dir(app.pid())) << "not empty: not CRIU's";
  EXPECT_TRUE(fs::exists(left + "/data"));

  fs::remove_all(left);
  std::ofstream(left) << "a file";
  EXPECT_FALSE(ftmpi::remove_stale_parasite_dir(app.pid())) << "not a directory";
  EXPECT_TRUE(fs::is_regular_file(left));
  EXPECT_FALSE(ftmpi::remove_stale_parasite_dir(999999999)) << "no such process";
}

}  // namespace
