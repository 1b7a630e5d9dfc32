#include "mpi/call_stats.hpp"

namespace ftmpi {

std::atomic<bool> g_samples_pending{false};
std::atomic<void (*)()> g_deliver_samples{nullptr};
thread_local CallScope* CallScope::t_current = nullptr;

CallTotals CallStats::of(CallId id) const noexcept {
  const auto& c = m_counters[static_cast<std::size_t>(id)];
  return {c.calls.load(std::memory_order_relaxed), c.ns.load(std::memory_order_relaxed),
          c.bytes.load(std::memory_order_relaxed)};
}

std::array<CallTotals, static_cast<std::size_t>(CallClass::count_)> CallStats::by_class()
    const noexcept {
  std::array<CallTotals, static_cast<std::size_t>(CallClass::count_)> totals{};
  for (std::size_t i = 0; i < k_call_count; ++i) {
    const auto id = static_cast<CallId>(i);
    const CallTotals t = of(id);
    auto& sum = totals[static_cast<std::size_t>(call_info(id).cls)];
    sum.calls += t.calls;
    sum.ns += t.ns;
    sum.bytes += t.bytes;
  }
  return totals;
}

CallStats& call_stats() noexcept {
  static CallStats stats;
  return stats;
}

}  // namespace ftmpi
