#include <gtest/gtest.h>

#include "util/shell.hpp"

namespace ftmpi {
namespace {

TEST(Shell, PlainWordsAreUnquoted) {
  EXPECT_EQ(shell_quote("mpirun"), "mpirun");
  EXPECT_EQ(shell_quote("--hostfile=/a/b.txt"), "--hostfile=/a/b.txt");
}

TEST(Shell, SpecialWordsAreQuoted) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
}

TEST(Shell, JoinQuotesEachWord) {
  EXPECT_EQ(shell_join({"mpirun", "-np", "2", "./app", "x y"}), "mpirun -np 2 ./app 'x y'");
  EXPECT_EQ(shell_join({}), "");
}

}  // namespace
}  // namespace ftmpi
