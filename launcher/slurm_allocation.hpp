// The Slurm allocation ftmpi-launch runs in, if any (docs/slurm.md): its job id and
// nodes, from the environment Slurm gives a batch script or an salloc shell
// (SLURM_JOB_ID, SLURM_JOB_NODELIST, SLURM_JOB_CPUS_PER_NODE).  Inside one, the
// allocation's nodes are the job's hostfile, and node daemons run as job steps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

struct SlurmAllocation {
  std::string job_id;
  std::vector<std::string> nodes;  // in Slurm's order
  std::vector<int> cpus;           // per node
};

// "n[1-3,5],login01" -> n1 n2 n3 n5 login01 (zero padding kept: n[01-03] -> n01...).
Result<std::vector<std::string>> expand_slurm_nodelist(const std::string& list);
// "2(x3),1" -> 2 2 2 1.
Result<std::vector<int>> expand_slurm_counts(const std::string& counts);
// The allocation of the environment; nullopt outside Slurm, an error for an
// environment that does not make sense.
Result<std::optional<SlurmAllocation>> slurm_allocation_from_environment();
// Slurm knows the allocation: its job (scontrol show job) and its nodes (scontrol show
// node).  An environment left over from another job, or a node list made up, is refused
// here, before anything starts.
Status check_slurm_knows(const SlurmAllocation& allocation, const std::string& nodelist);
// An Open MPI hostfile of the allocation's nodes, a slot per CPU.
std::string slurm_hostfile_text(const SlurmAllocation& allocation);
// How ftmpi runs a command on a node of the allocation: a step that shares the
// allocation's resources ("srun ... -w NODE COMMAND").
inline constexpr const char* k_slurm_agent =
    "srun --overlap --quiet --nodes=1 --ntasks=1 --cpus-per-task=1 --mem=0 --nodelist";

}  // namespace ftmpi
