#include <string>

#include <gtest/gtest.h>

#include "hostfile.hpp"

namespace ftmpi {
namespace {

std::string derived(const std::string& text) {
  auto out = hostfile_with_hidden_slot(text);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? out.value() : std::string();
}

TEST(Hostfile, TheLastHostGetsOneMoreSlot) {
  EXPECT_EQ(derived("n1 slots=4\nn2 slots=4\n"), "n1 slots=4\nn2 slots=5\n");
  EXPECT_EQ(derived("n1 slots=8 max_slots=8"), "n1 slots=9 max_slots=9");
  EXPECT_EQ(derived("n1\tslots=2"), "n1\tslots=3");
}

TEST(Hostfile, CommentsAndBlankLinesStay) {
  EXPECT_EQ(derived("# cluster\nn1 slots=2 # fast\n\n# end\n"),
            "# cluster\nn1 slots=3 # fast\n\n# end\n");
}

TEST(Hostfile, HostsWithoutSlotCountsStayAsTheyAre) {
  EXPECT_EQ(derived("n1\nn2\n"), "n1\nn2\n");
}

TEST(Hostfile, RefusesFilesWithoutHostsOrWithBadCounts) {
  EXPECT_EQ(hostfile_with_hidden_slot("# nothing\n\n").status().code(),
            StatusCode::invalid_argument);
  EXPECT_EQ(hostfile_with_hidden_slot("n1 slots=many\n").status().code(),
            StatusCode::invalid_argument);
}

}  // namespace
}  // namespace ftmpi
