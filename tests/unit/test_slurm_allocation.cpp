// Slurm allocations as ftmpi-launch reads them (launcher/slurm_allocation.hpp) and the
// hostfile for Open MPI's sequential mapper (launcher/hostfile.hpp).
#include <gtest/gtest.h>

#include <cstdlib>

#include "hostfile.hpp"
#include "slurm_allocation.hpp"

namespace ftmpi {
namespace {

using Names = std::vector<std::string>;

TEST(SlurmNodelist, Expands) {
  EXPECT_EQ(expand_slurm_nodelist("n[1-3,5],login").value(),
            (Names{"n1", "n2", "n3", "n5", "login"}));
  EXPECT_EQ(expand_slurm_nodelist("c[08-10]").value(), (Names{"c08", "c09", "c10"}));
  EXPECT_EQ(expand_slurm_nodelist("r[1-2]-n[1-2]").value(),
            (Names{"r1-n1", "r1-n2", "r2-n1", "r2-n2"}));
  EXPECT_EQ(expand_slurm_nodelist("sim-n4").value(), (Names{"sim-n4"}));
}

TEST(SlurmNodelist, RefusesWhatIsNoNodelist) {
  for (const char* bad : {"n[1-3", "n[3-1]", "n[a-b]", "", "a,,b", "n]"}) {
    EXPECT_FALSE(expand_slurm_nodelist(bad).ok()) << bad;
  }
}

TEST(SlurmCounts, Expands) {
  EXPECT_EQ(expand_slurm_counts("2(x3),1").value(), (std::vector<int>{2, 2, 2, 1}));
  EXPECT_EQ(expand_slurm_counts("4").value(), (std::vector<int>{4}));
  EXPECT_FALSE(expand_slurm_counts("2(x)").ok());
}

TEST(SlurmAllocation, FromTheEnvironment) {
  ::unsetenv("SLURM_JOB_ID");
  EXPECT_FALSE(slurm_allocation_from_environment().value().has_value()) << "not in Slurm";
  ::setenv("SLURM_JOB_ID", "42", 1);
  ::unsetenv("SLURM_JOB_NODELIST");
  EXPECT_FALSE(slurm_allocation_from_environment().ok()) << "a job id without nodes";
  ::setenv("SLURM_JOB_NODELIST", "n[1-3]", 1);
  ::setenv("SLURM_JOB_CPUS_PER_NODE", "2(x2),4", 1);
  auto a = slurm_allocation_from_environment();
  ASSERT_TRUE(a.ok() && a.value().has_value());
  EXPECT_EQ(a.value()->job_id, "42");
  EXPECT_EQ(slurm_hostfile_text(*a.value()), "n1 slots=2\nn2 slots=2\nn3 slots=4\n");
  ::setenv("SLURM_JOB_NODELIST", "n[1-", 1);
  EXPECT_FALSE(slurm_allocation_from_environment().ok());
  for (const char* name : {"SLURM_JOB_ID", "SLURM_JOB_NODELIST", "SLURM_JOB_CPUS_PER_NODE"}) {
    ::unsetenv(name);
  }
}

TEST(SequentialHostfile, ALinePerSlotInOrder) {
  EXPECT_EQ(sequential_hostfile("n1 slots=1\n# a comment\nn4 slots=2 max_slots=4\nn3\n").value(),
            "n1\nn4\nn4\nn3\n");
  EXPECT_FALSE(sequential_hostfile("n1 slots=x\n").ok());
  EXPECT_FALSE(sequential_hostfile("# nothing\n").ok());
}

}  // namespace
}  // namespace ftmpi
