#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "program_lookup.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

// A folder under the test's scratch folder (its working directory).
class ProgramLookup : public testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::current_path() / "lookup";
    fs::remove_all(m_dir);
    fs::create_directories(m_dir / "bin");
    write(m_dir / "bin" / "tool", 0755);
    write(m_dir / "bin" / "data", 0644);
  }
  static void write(const fs::path& path, mode_t mode) {
    std::ofstream(path) << "#!/bin/sh\n";
    ::chmod(path.c_str(), mode);
  }
  fs::path m_dir;
};

TEST_F(ProgramLookup, FindsNamesInSearchPath) {
  const std::string path = "/nonexistent:" + (m_dir / "bin").string();
  auto found = find_program("tool", path);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(found.value(), (m_dir / "bin" / "tool").string());
}

TEST_F(ProgramLookup, SkipsNonExecutables) {
  auto found = find_program("data", (m_dir / "bin").string());
  EXPECT_EQ(found.status().code(), StatusCode::not_found);
  EXPECT_NE(found.status().message().find("not found in PATH"), std::string::npos);
}

TEST_F(ProgramLookup, PathsAreCheckedNotSearched) {
  auto found = find_program((m_dir / "bin" / "tool").string(), "");
  ASSERT_TRUE(found.ok());
  auto missing = find_program((m_dir / "bin" / "nope").string(), (m_dir / "bin").string());
  EXPECT_EQ(missing.status().code(), StatusCode::not_found);
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  auto not_exec = find_program((m_dir / "bin" / "data").string(), "");
  EXPECT_EQ(not_exec.status().code(), StatusCode::invalid_argument);
  auto dir = find_program((m_dir / "bin").string() + "/", "");
  EXPECT_FALSE(dir.ok());
}

TEST_F(ProgramLookup, RelativePathsBecomeAbsolute) {
  auto found = find_program("./lookup/bin/tool", "");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value(), (m_dir / "bin" / "tool").string());
}

TEST_F(ProgramLookup, EmptyNameIsRefused) {
  EXPECT_EQ(find_program("", "/bin").status().code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace ftmpi
