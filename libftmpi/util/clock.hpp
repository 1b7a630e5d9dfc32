// Clocks: monotonic nanoseconds for durations, wall seconds for timestamps in traces,
// and cheap ticks for timing every MPI call.
#pragma once

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include <atomic>
#include <cstdint>
#include <ctime>
#include <mutex>

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

// A clock for durations that must cost next to nothing to read: the time inside each
// MPI call.  It counts the CPU's time-stamp counter where the kernel itself keeps time
// with it (x86-64 with an invariant TSC and "tsc" as the clock source: the counters of
// all cores agree and tick at one rate), about 10 ns a read against 23 ns for
// clock_gettime on a virtual machine; elsewhere it counts CLOCK_MONOTONIC nanoseconds.
// Differences of ticks, and sums of them, become nanoseconds with to_ns(), at a rate
// measured once against CLOCK_MONOTONIC over the first 10 ms of the clock (the first
// to_ns() waits for what is left of them).  Ticks mean nothing outside the process that
// read them.
class TickClock {
 public:
  // use_tsc: count the time-stamp counter (ignored where there is none).
  explicit TickClock(bool use_tsc) noexcept;

  // This process's clock: the time-stamp counter where tsc_is_reliable(), unless
  // FTMPI_CALL_CLOCK=monotonic.
  [[nodiscard]] static TickClock& process() noexcept;
  // Whether the time-stamp counter is invariant and the kernel's clock source.
  [[nodiscard]] static bool tsc_is_reliable() noexcept;

  [[nodiscard]] std::uint64_t now() const noexcept {
#if defined(__x86_64__)
    if (m_tsc) {
      return __rdtsc();
    }
#endif
    return monotonic_ns();
  }
  [[nodiscard]] std::uint64_t to_ns(std::uint64_t ticks) noexcept;
  [[nodiscard]] bool counts_tsc() const noexcept {
    return m_tsc;
  }

 private:
  [[nodiscard]] double ns_per_tick() noexcept;

  bool m_tsc;
  std::uint64_t m_start_ticks;
  std::uint64_t m_start_ns;
  std::mutex m_calibrating;
  std::atomic<double> m_ns_per_tick{0.0};  // 0 until measured
};

// Ticks of this process's TickClock.
[[nodiscard]] inline std::uint64_t fast_ticks() noexcept {
  static const TickClock& clock = TickClock::process();
  return clock.now();
}

}  // namespace ftmpi
