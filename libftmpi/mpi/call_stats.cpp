#include "mpi/call_stats.hpp"

#include <memory>
#include <utility>

#include "util/scope_guard.hpp"

namespace ftmpi {

std::atomic<bool> g_samples_pending{false};
std::atomic<void (*)()> g_deliver_samples{nullptr};
thread_local CallScope* CallScope::t_current = nullptr;

thread_local CallStats::Block* CallStats::t_block = nullptr;

CallStats::Block* CallStats::attach_thread() noexcept {
  try {
    auto block = std::make_unique<Block>();
    {
      const std::lock_guard lock(m_mutex);
      m_live.push_back(block.get());
    }
    // The block goes back when the thread ends.
    thread_local const ScopeGuard retirer([this, b = block.get()] { retire(b); });
    t_block = block.release();
    return t_block;
  } catch (...) {
    return nullptr;
  }
}

void CallStats::retire(Block* block) noexcept {
  t_block = nullptr;
  const std::lock_guard lock(m_mutex);
  for (std::size_t i = 0; i < k_call_count; ++i) {
    for (auto [to, from] : {std::pair{&m_ended.counters[i].calls, &block->counters[i].calls},
                            std::pair{&m_ended.counters[i].ticks, &block->counters[i].ticks},
                            std::pair{&m_ended.counters[i].bytes, &block->counters[i].bytes}}) {
      bump(*to, from->load(std::memory_order_relaxed));
    }
  }
  std::erase(m_live, block);
  delete block;  // NOLINT(cppcoreguidelines-owning-memory): m_live's blocks are owned
}

CallTotals CallStats::sum(std::size_t index) const noexcept {
  CallTotals t;
  auto add = [&t, index](const Block& block) {
    const Counters& c = block.counters[index];
    t.calls += c.calls.load(std::memory_order_relaxed);
    t.ns += c.ticks.load(std::memory_order_relaxed);  // ticks until converted below
    t.bytes += c.bytes.load(std::memory_order_relaxed);
  };
  add(m_ended);
  for (const Block* block : m_live) {
    add(*block);
  }
  t.ns = TickClock::process().to_ns(t.ns);
  return t;
}

CallTotals CallStats::of(CallId id) const noexcept {
  const std::lock_guard lock(m_mutex);
  return sum(static_cast<std::size_t>(id));
}

std::array<CallTotals, static_cast<std::size_t>(CallClass::count_)> CallStats::by_class()
    const noexcept {
  std::array<CallTotals, static_cast<std::size_t>(CallClass::count_)> totals{};
  const std::lock_guard lock(m_mutex);
  for (std::size_t i = 0; i < k_call_count; ++i) {
    const CallTotals t = sum(i);
    auto& total = totals[static_cast<std::size_t>(call_info(static_cast<CallId>(i)).cls)];
    total.calls += t.calls;
    total.ns += t.ns;
    total.bytes += t.bytes;
  }
  return totals;
}

CallStats& call_stats() noexcept {
  // Never destroyed: threads may still call MPI while the process exits.
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory,bugprone-unhandled-exception-at-new)
  static auto* const stats = new CallStats;  // at the first MPI call: terminates if no memory
  return *stats;
}

}  // namespace ftmpi
