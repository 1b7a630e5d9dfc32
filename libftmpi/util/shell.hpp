// Rendering a command line for people to read and paste into a shell.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ftmpi {

// `word` quoted for a POSIX shell when it needs quoting, else unchanged.
std::string shell_quote(std::string_view word);
// The words quoted and joined by single spaces.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace ftmpi
