// Small file helpers shared by the tools.
#pragma once

#include <string>
#include <string_view>

#include "util/status.hpp"

namespace ftmpi {

// Writes `text` to PATH.tmp and renames it over `path`: a reader sees the old file or
// the whole new one, never a part.
Status write_file_atomically(const std::string& path, std::string_view text);

}  // namespace ftmpi
