// The main() of ftmpi's command-line tools: runs the tool, and turns an exception that
// escaped it into a one-line "internal error" and exit status 70.
#pragma once

#include <cstdio>
#include <exception>

#include "util/exit_codes.hpp"

namespace ftmpi {

template <class Run>
int tool_main(const char* name, Run&& run) noexcept {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", name, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: internal error\n", name);
  }
  return k_exit_software;
}

}  // namespace ftmpi
