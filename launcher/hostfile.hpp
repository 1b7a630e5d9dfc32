// Open MPI hostfiles, as far as ftmpi-launch must change them.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace ftmpi
