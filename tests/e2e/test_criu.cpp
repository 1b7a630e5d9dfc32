// CRIU as ftmpi drives it: a process alone in a PID namespace is dumped, killed,
// restored, and goes on from where it was; bad image folders and a missing CRIU give
// clear errors.  Needs root (CRIU and PID namespaces).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ckpt/criu.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

long read_counter(const fs::path& file) {
  std::ifstream in(file);
  long value = -1;
  in >> value;
  return value;
}

// Running (not gone, not a zombie waiting to be reaped).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

class CriuTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0U) << "this test needs root (CRIU, PID namespaces)";
    auto criu = find_criu();
    ASSERT_TRUE(criu.ok()) << criu.status().message();
    m_criu = std::make_unique<Criu>(criu.value());
    m_dir = fs::current_path();
  }
  void TearDown() override {
    for (const pid_t pid : m_pids) {
      ::kill(pid, SIGKILL);
    }
    // This process is their subreaper: reap them.
    for (const pid_t pid : m_pids) {
      ::waitpid(pid, nullptr, 0);
    }
  }
  // A counter that rewrites `counter` every 20 ms, in a PID namespace of its own.
  pid_t start_counter() {
    const std::string script = "i=0; while :; do i=$((i+1)); echo $i > " +
                               (m_dir / "counter.tmp").string() + "; mv " +
                               (m_dir / "counter.tmp").string() + " " +
                               (m_dir / "counter").string() + "; sleep 0.02; done";
    auto pid = spawn_in_pid_namespace({"/bin/sh", "-c", script}, (m_dir / "counter.log").string());
    EXPECT_TRUE(pid.ok()) << pid.status().message();
    m_pids.push_back(pid.value_or(-1));
    for (int i = 0; i < 200 && read_counter(m_dir / "counter") < 5; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return pid.value_or(-1);
  }

  std::unique_ptr<Criu> m_criu;
  fs::path m_dir;
  std::vector<pid_t> m_pids;
};

TEST_F(CriuTest, DumpKillRestoreGoesOnFromTheDumpedState) {
  const pid_t pid = start_counter();
  ASSERT_GT(pid, 0);
  fs::create_directories(m_dir / "images");
  ASSERT_TRUE(m_criu->dump(pid, (m_dir / "images").string(), false).ok());
  const long at_dump = read_counter(m_dir / "counter");
  for (int i = 0; i < 100 && alive(pid); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(alive(pid)) << "CRIU leaves a dumped tree killed unless asked otherwise";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(read_counter(m_dir / "counter"), at_dump) << "nothing counts while dumped";

  auto restored = m_criu->restore((m_dir / "images").string());
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  m_pids.push_back(restored.value());
  std::this_thread::sleep_for(300ms);
  const long after = read_counter(m_dir / "counter");
  EXPECT_TRUE(alive(restored.value()));
  EXPECT_GT(after, at_dump);
  // It went on from the dumped value: far below what a fresh start plus the elapsed time
  // would not reach, and not restarted from 1.
  EXPECT_LT(after, at_dump + 100);
}

TEST_F(CriuTest, LeaveRunningKeepsTheProcessGoing) {
  const pid_t pid = start_counter();
  ASSERT_GT(pid, 0);
  fs::create_directories(m_dir / "images2");
  ASSERT_TRUE(m_criu->dump(pid, (m_dir / "images2").string(), true).ok());
  const long at_dump = read_counter(m_dir / "counter");
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(alive(pid));
  EXPECT_GT(read_counter(m_dir / "counter"), at_dump);
}

TEST_F(CriuTest, BadImageFoldersGiveClearErrors) {
  const auto missing = m_criu->dump(1, (m_dir / "no-such-folder").string(), true);
  EXPECT_EQ(missing.code(), StatusCode::not_found);
  fs::create_directories(m_dir / "empty");
  auto empty = m_criu->restore((m_dir / "empty").string());
  EXPECT_EQ(empty.status().code(), StatusCode::corrupt);
  EXPECT_NE(empty.status().message().find("no CRIU images"), std::string::npos);

  // A damaged image set: every image file cut to half its size.
  const pid_t pid = start_counter();
  ASSERT_GT(pid, 0);
  fs::create_directories(m_dir / "damaged");
  ASSERT_TRUE(m_criu->dump(pid, (m_dir / "damaged").string(), true).ok());
  for (const auto& entry : fs::directory_iterator(m_dir / "damaged")) {
    if (entry.path().extension() == ".img" && entry.path().filename() != "inventory.img") {
      fs::resize_file(entry.path(), fs::file_size(entry.path()) / 2);
    }
  }
  auto damaged = m_criu->restore((m_dir / "damaged").string());
  EXPECT_FALSE(damaged.ok());
  if (damaged.ok()) {
    m_pids.push_back(damaged.value());
  }
  EXPECT_NE(damaged.status().message().find("criu restore"), std::string::npos)
      << damaged.status().message();
  // Where the whole log is, for what the one line quoted does not say.
  const std::string log = (m_dir / "damaged" / "restore.log").string();
  EXPECT_NE(damaged.status().message().find("the whole log: " + log), std::string::npos)
      << damaged.status().message();
  EXPECT_TRUE(fs::exists(log));
}

// A CRIU that hangs (as CRIU 4.1.1 does in every dump on Linux 6.18) is killed after
// FTMPI_CRIU_TIMEOUT seconds: the dump or restore fails, it does not hang the job.
TEST(CriuTimeout, AHungCriuIsKilledAndSaysSo) {
  const fs::path dir = fs::current_path() / "hung";
  fs::create_directories(dir / "images");
  std::ofstream(dir / "criu")
      << "#!/bin/sh\necho 'stuck in the parasite' > \"$5/$7\"\nexec sleep 60\n";
  fs::permissions(dir / "criu", fs::perms::owner_all);
  std::ofstream(dir / "images" / "inventory.img") << "x";
  ::setenv("FTMPI_CRIU_TIMEOUT", "1", 1);
  const Criu criu(CriuInfo{(dir / "criu").string(), "hangs", "test"});
  const auto start = std::chrono::steady_clock::now();
  const Status dumped = criu.dump(::getpid(), (dir / "images").string(), true);
  auto restored = criu.restore((dir / "images").string());
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::unsetenv("FTMPI_CRIU_TIMEOUT");
  EXPECT_LT(took, 10.0);
  ASSERT_FALSE(dumped.ok());
  EXPECT_NE(dumped.message().find("did not finish within 1 s"), std::string::npos)
      << dumped.message();
  EXPECT_NE(dumped.message().find("stuck in the parasite"), std::string::npos) << dumped.message();
  ASSERT_FALSE(restored.ok());
  EXPECT_NE(restored.status().message().find("criu restore from"), std::string::npos)
      << restored.status().message();
}

TEST(FindCriu, AMissingCriuSaysWhatToDo) {
  ::setenv("FTMPI_CRIU", "/nonexistent/criu", 1);
  auto criu = find_criu();
  ::unsetenv("FTMPI_CRIU");
  ASSERT_FALSE(criu.ok());
  EXPECT_EQ(criu.status().code(), StatusCode::unsupported);
  for (const char* words : {"/nonexistent/criu", "not installed", "scripts/setup.sh",
                            "CAP_CHECKPOINT_RESTORE", "--mode native"}) {
    EXPECT_NE(criu.status().message().find(words), std::string::npos) << words;
  }
}

}  // namespace
}  // namespace ftmpi
