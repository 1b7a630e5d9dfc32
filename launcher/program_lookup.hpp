// Finding the program a user asked to run, the way a shell would.
#pragma once

#include <string>
#include <string_view>

#include "util/status.hpp"

namespace ftmpi {

// `name` if it contains a '/', else the first executable `dir/name` for dir in
// `search_path` (colon-separated, as PATH).  The result is an absolute path to an
// executable regular file, or not_found / invalid_argument saying what is wrong.
Result<std::string> find_program(std::string_view name, std::string_view search_path);

}  // namespace ftmpi
