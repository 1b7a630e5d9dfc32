#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

// A sysfs cpu directory with `topology` as {package, core} per CPU (-1: no topology).
std::string fake_cpu_dir(const std::string& name,
                         const std::vector<std::pair<int, int>>& topology) {
  const std::filesystem::path dir = std::filesystem::current_path() / name;
  std::filesystem::remove_all(dir);
  for (std::size_t cpu = 0; cpu < topology.size(); ++cpu) {
    const auto [package, core] = topology[cpu];
    const auto t = dir / ("cpu" + std::to_string(cpu)) / "topology";
    std::filesystem::create_directories(t);
    if (package >= 0) {
      std::ofstream(t / "physical_package_id") << package << "\n";
      std::ofstream(t / "core_id") << core << "\n";
    }
  }
  return dir.string();
}

TEST(LocalSlots, HardwareThreadsOfOneCoreCountOnce) {
  // Two packages of two cores, each core with two hardware threads (siblings numbered
  // as Linux numbers them: the second thread of every core after all first threads).
  const std::string dir =
      fake_cpu_dir("cpus-smt", {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 0}, {0, 1}, {1, 0}, {1, 1}});
  EXPECT_EQ(count_cores({0, 1, 2, 3, 4, 5, 6, 7}, dir), 4);
  // The same core id in another package is another core.
  EXPECT_EQ(count_cores({0, 2}, dir), 2);
  // A process allowed only both threads of one core has one slot.
  EXPECT_EQ(count_cores({1, 5}, dir), 1);
}

TEST(LocalSlots, ACpuWithoutTopologyIsACoreOfItsOwn) {
  const std::string dir = fake_cpu_dir("cpus-bare", {{0, 0}, {-1, -1}, {-1, -1}});
  EXPECT_EQ(count_cores({0, 1, 2}, dir), 3);
  EXPECT_EQ(count_cores({0, 1, 2, 7}, dir), 4);  // cpu7 is not there at all
}

TEST(LocalSlots, ThisMachineHasAtLeastOneAndNoMoreThanItsThreads) {
  const int cores = local_slots(false);
  const int threads = local_slots(true);
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, threads);
}

}  // namespace
}  // namespace ftmpi
