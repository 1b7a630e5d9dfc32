// Checks of command-line values that the tools share (CLI11, header only: for the
// tools' mains, not for the libraries).
#pragma once

#include <cmath>
#include <string>

#include <CLI/CLI.hpp>

namespace ftmpi {

// A finite number.  CLI::Range lets "nan" through (every comparison with NaN is false),
// and no setting means "inf"; chained with a Range where there is one.
inline CLI::Validator finite() {
  return {[](std::string& input) -> std::string {
            double value = 0;
            if (!CLI::detail::lexical_cast(input, value) || !std::isfinite(value)) {
              return "'" + input + "' is not a finite number";
            }
            return {};
          },
          "", "finite"};
}

}  // namespace ftmpi
