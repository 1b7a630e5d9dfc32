// Clocks: monotonic nanoseconds for durations, wall seconds for timestamps in traces.
#pragma once

#include <cstdint>
#include <ctime>

namespace ftmpi {

// Nanoseconds of CLOCK_MONOTONIC (durations; never jumps).
[[nodiscard]] inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000U +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Seconds since the epoch (CLOCK_REALTIME), the time base of the job trace.
[[nodiscard]] inline double wall_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace ftmpi
