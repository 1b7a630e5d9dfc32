// Reading the environment the way ftmpi's programs do.
#pragma once

#include <cstdlib>

namespace ftmpi {

// The value of `name`, or `fallback` when it is unset or empty.  Call it while the
// process has one thread (getenv is not safe against a concurrent setenv).
inline const char* env_or(const char* name, const char* fallback) noexcept {
  const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): see above
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace ftmpi
