#include "util/clock.hpp"

#include "util/env.hpp"

#include <chrono>
#include <fstream>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace ftmpi {
namespace {

constexpr std::uint64_t k_calibration_ns = 10'000'000;  // 10 ms: a rate within 1e-5

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Whether the first "flags" line of /proc/cpuinfo names every one of `wanted`.
bool cpu_has_flags(std::initializer_list<const char*> wanted) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0 || line.find(':') == std::string::npos) {
      continue;
    }
    const std::string flags = " " + line.substr(line.find(':') + 1) + " ";
    for (const char* flag : wanted) {
      if (flags.find(" " + std::string(flag) + " ") == std::string::npos) {
        return false;
      }
    }
    return true;
  }
  return false;
}

}  // namespace

TickClock::TickClock(bool use_tsc) noexcept
#if defined(__x86_64__)
    : m_tsc(use_tsc),
#else
    : m_tsc(false),
#endif
      m_start_ticks(0),
      m_start_ns(monotonic_ns()) {
  (void)use_tsc;
  m_start_ticks = now();
}

bool TickClock::tsc_is_reliable() noexcept {
#if defined(__x86_64__)
  try {
    return first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource") ==
               "tsc" &&
           cpu_has_flags({"constant_tsc", "nonstop_tsc"});
  } catch (...) {
    return false;
  }
#else
  return false;
#endif
}

TickClock& TickClock::process() noexcept {
  // FTMPI_CALL_CLOCK=monotonic: clock_gettime even where the counter is reliable.
  static TickClock clock(std::string_view(env_or("FTMPI_CALL_CLOCK", "")) != "monotonic" &&
                         tsc_is_reliable());
  return clock;
}

double TickClock::ns_per_tick() noexcept {
  const double fixed = m_ns_per_tick.load(std::memory_order_acquire);
  if (fixed != 0.0) {
    return fixed;
  }
  // Measured once, over k_calibration_ns since the clock was made (waiting for the rest
  // of it if asked sooner), so that a sum converts to the same value every time.
  const std::lock_guard lock(m_calibrating);
  if (const double rate = m_ns_per_tick.load(std::memory_order_acquire); rate != 0.0) {
    return rate;
  }
  const std::uint64_t waited = monotonic_ns() - m_start_ns;
  if (waited < k_calibration_ns) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(k_calibration_ns - waited));
  }
  const std::uint64_t ticks = now() - m_start_ticks;
  const std::uint64_t ns = monotonic_ns() - m_start_ns;
  const double rate = ticks != 0 ? static_cast<double>(ns) / static_cast<double>(ticks) : 1.0;
  m_ns_per_tick.store(rate, std::memory_order_release);
  return rate;
}

std::uint64_t TickClock::to_ns(std::uint64_t ticks) noexcept {
  if (!m_tsc) {
    return ticks;
  }
  return static_cast<std::uint64_t>(static_cast<double>(ticks) * ns_per_tick());
}

}  // namespace ftmpi
