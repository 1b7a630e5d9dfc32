// Open MPI hostfiles, as far as ftmpi-launch must change them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.hpp"

namespace ftmpi {

// The hostfile `text` with room for the hidden predictor rank: the last host line's
// `slots=` (and `max_slots=`, if given) grows by one.  Application ranks are mapped
// exactly as they would be without ftmpi (hosts fill in order), and the predictor
// takes the extra slot.  A last host without `slots=` is left as it is (Open MPI then
// counts its cores).  Fails when no host line is found or a count is not a number.
Result<std::string> hostfile_with_hidden_slot(std::string_view text);

// The hostfile `text` for Open MPI's sequential mapper (`--mca rmaps seq`): each host
// once per slot, in order, so that rank i runs on line i whatever else mpirun knows of
// the nodes (inside a Slurm allocation it would order them as Slurm lists them).
Result<std::string> sequential_hostfile(std::string_view text);

// The slots Open MPI gives this node when no hostfile says: one per core this process
// may run on (its CPU affinity), or one per hardware thread with `hardware_threads`
// (mpirun --use-hwthread-cpus).  Read from sysfs; at least 1.
int local_slots(bool hardware_threads);

// The distinct cores among `cpus`, from `cpu_dir`/cpuN/topology/{physical_package_id,
// core_id}; a CPU whose topology cannot be read counts as a core of its own.
int count_cores(const std::vector<int>& cpus, const std::string& cpu_dir);

}  // namespace ftmpi
