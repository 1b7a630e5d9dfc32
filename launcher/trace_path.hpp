// Choosing and checking the job trace's path before anything starts.
#pragma once

#include <string>

#include "util/status.hpp"

namespace ftmpi {

// PROGRAM-YYYYmmdd-HHMMSS.ftmpi.h5 in the current directory, for a program path.
std::string default_trace_name(const std::string& program);
// PROGRAM-YYYYmmdd-HHMMSS.ftmpi-ckpt: transparent mode's default checkpoint directory.
std::string default_checkpoint_dir_name(const std::string& program);

// The absolute path of `path` once it is known to be creatable: its folder exists and
// a file can be created there (an existing file is left as it is; the predictor
// replaces it).  Otherwise an error that names the path and the reason.
Result<std::string> check_trace_path(const std::string& path);

}  // namespace ftmpi
