// Per-call MPI statistics of this process: calls, time inside MPI and bytes sent, per
// MPI function (CallId), summed per call class when sampled.  Updated by every wrapper
// (relaxed atomics: three uncontended adds per call; the time in ticks of the process's
// TickClock, read twice per call); read by the sampler, in nanoseconds.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "mpi/mpi_calls.hpp"
#include "util/clock.hpp"

namespace ftmpi {

struct CallTotals {
  std::uint64_t calls = 0;
  std::uint64_t ns = 0;
  std::uint64_t bytes = 0;
};

class CallStats {
 public:
  // ticks: of TickClock::process().  Counted in the calling thread's own block, so that
  // no call pays for an atomic read-modify-write (a proxy's progress thread and the
  // threads of an MPI_THREAD_MULTIPLE program call MPI at the same time).
  void record(CallId id, std::uint64_t ticks, std::uint64_t bytes) noexcept {
    Block* block = t_block;
    if (block == nullptr) [[unlikely]] {
      block = attach_thread();
      if (block == nullptr) {
        return;  // no memory for this thread's counters: its calls go uncounted
      }
    }
    auto& c = block->counters[static_cast<std::size_t>(id)];
    bump(c.calls, 1);
    bump(c.ticks, ticks);
    if (bytes != 0) {
      bump(c.bytes, bytes);
    }
  }
  // Totals over every thread, the ended ones too; the time in nanoseconds.
  [[nodiscard]] CallTotals of(CallId id) const noexcept;
  [[nodiscard]] std::array<CallTotals, static_cast<std::size_t>(CallClass::count_)> by_class()
      const noexcept;

 private:
  struct Counters {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> ticks{0};
    std::atomic<std::uint64_t> bytes{0};
  };
  struct Block {
    std::array<Counters, k_call_count> counters{};
  };
  // One writer per block: a relaxed load and store, read whole by the sampler.
  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t add) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + add, std::memory_order_relaxed);
  }
  Block* attach_thread() noexcept;
  void retire(Block* block) noexcept;
  [[nodiscard]] CallTotals sum(std::size_t index) const noexcept;  // under m_mutex

  // initial-exec: read on every MPI call (see CallScope::t_current).
  [[gnu::tls_model("initial-exec")]] static thread_local Block* t_block;
  mutable std::mutex m_mutex;
  std::vector<Block*> m_live;  // the blocks of running threads (owned)
  Block m_ended;               // the sums of threads that ended
};

CallStats& call_stats() noexcept;

// Telemetry waiting to be sent, and the function that sends it (set by the runtime).
// Checked at the start of every MPI call: one relaxed atomic load when nothing waits.
extern std::atomic<bool> g_samples_pending;
extern std::atomic<void (*)()> g_deliver_samples;

// Times one wrapper call and records it when it ends; first sends waiting telemetry.
// Scopes nest: the calls a rank proxy makes to carry out one application call (an
// MPI_Send done as MPI_Isend plus tests) count as that one call, with their bytes.
class CallScope {
 public:
  explicit CallScope(CallId id) noexcept : m_id(id), m_outer(t_current) {
    t_current = this;
    if (m_outer != nullptr) {
      return;
    }
    m_start = fast_ticks();
    if (g_samples_pending.load(std::memory_order_relaxed)) {
      if (auto* deliver = g_deliver_samples.load(std::memory_order_acquire)) {
        deliver();
      }
    }
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;
  CallScope(CallScope&&) = delete;
  CallScope& operator=(CallScope&&) = delete;
  ~CallScope() {
    t_current = m_outer;
    if (m_outer != nullptr) {
      m_outer->m_bytes += m_bytes;
    } else {
      call_stats().record(m_id, fast_ticks() - m_start, m_bytes);
    }
  }
  void add_bytes(std::uint64_t bytes) noexcept { m_bytes += bytes; }

 private:
  // initial-exec: libftmpi is linked or preloaded, never dlopen'ed late, and this is
  // read on every MPI call.
  [[gnu::tls_model("initial-exec")]] static thread_local CallScope* t_current;
  CallId m_id;
  CallScope* m_outer;
  std::uint64_t m_start = 0;
  std::uint64_t m_bytes = 0;
};

}  // namespace ftmpi
