#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/files.hpp"

namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(Beat, CreatesTheFileWithItsText) {
  const std::string path = "beat-created";
  std::filesystem::remove(path);
  ASSERT_TRUE(ftmpi::beat(path, "42\n").ok());
  EXPECT_EQ(contents(path), "42\n");
  const double age = ftmpi::seconds_since_written(path);
  EXPECT_GE(age, 0);
  EXPECT_LT(age, 5);
}

// A beat on an existing file only moves its time: the same file (inode) with the same
// data, so no block is freed and allocated again.
TEST(Beat, MovesOnlyTheTimeOfAnExistingFile) {
  const std::string path = "beat-existing";
  std::filesystem::remove(path);
  ASSERT_TRUE(ftmpi::beat(path, "first\n").ok());
  const ino_t inode = inode_of(path);
  const timespec old_times[2] = {{1000000000, 0}, {1000000000, 0}};  // 2001
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), old_times, 0), 0);
  ASSERT_GT(ftmpi::seconds_since_written(path), 1e8);
  ASSERT_TRUE(ftmpi::beat(path, "second\n").ok());
  EXPECT_LT(ftmpi::seconds_since_written(path), 5);
  EXPECT_EQ(contents(path), "first\n");
  EXPECT_EQ(inode_of(path), inode);
}

TEST(Beat, FailsWhereTheFileCannotBe) {
  EXPECT_FALSE(ftmpi::beat("no-such-folder/beat", "1\n").ok());
}

TEST(WriteFileAtomically, LeavesWhatIsNotARegularFileAlone) {
  namespace fs = std::filesystem;
  const std::string fifo = fs::absolute("a-fifo").string();
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const ftmpi::Status written = ftmpi::write_file_atomically(fifo, "text\n");
  EXPECT_EQ(written.code(), ftmpi::StatusCode::io_error);
  EXPECT_NE(written.message().find("not a regular file"), std::string::npos) << written.message();
  EXPECT_TRUE(fs::is_fifo(fifo)) << "replaced by a regular file";
  EXPECT_FALSE(fs::exists(fifo + ".tmp"));
  fs::create_directories("a-dir");
  EXPECT_FALSE(ftmpi::write_file_atomically("a-dir", "text\n").ok());
  EXPECT_TRUE(fs::is_directory("a-dir"));
  EXPECT_TRUE(ftmpi::write_file_atomically("a-file", "text\n").ok());
  EXPECT_EQ(contents("a-file"), "text\n");
}

TEST(DirectoryEntries, ListsADirectoryAndSaysWhereItCannot) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute("entries");
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "a") << "x";
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : ftmpi::directory_entries(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_FALSE(ec);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "sub"}));

  // Gone or never there: the error in `ec`, nothing thrown, nothing listed.
  EXPECT_TRUE(ftmpi::directory_entries(dir / "no-such", ec).empty());
  EXPECT_TRUE(ec);
  // A /proc directory whose process has ended.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(0);
  }
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(ftmpi::directory_entries("/proc/" + std::to_string(child) + "/task", ec).empty());
  EXPECT_TRUE(ec);
}

}  // namespace
