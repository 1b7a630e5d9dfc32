// Per-call MPI statistics of this process: calls, time inside MPI and bytes sent, per
// MPI function (CallId), summed per call class when sampled.  Updated by every wrapper
// (relaxed atomics: three uncontended adds per call); read by the sampler.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

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
  void record(CallId id, std::uint64_t ns, std::uint64_t bytes) noexcept {
    auto& c = m_counters[static_cast<std::size_t>(id)];
    c.calls.fetch_add(1, std::memory_order_relaxed);
    c.ns.fetch_add(ns, std::memory_order_relaxed);
    if (bytes != 0) {
      c.bytes.fetch_add(bytes, std::memory_order_relaxed);
    }
  }
  [[nodiscard]] CallTotals of(CallId id) const noexcept;
  [[nodiscard]] std::array<CallTotals, static_cast<std::size_t>(CallClass::count_)> by_class()
      const noexcept;

 private:
  struct Counters {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> ns{0};
    std::atomic<std::uint64_t> bytes{0};
  };
  std::array<Counters, k_call_count> m_counters{};
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
    m_start = monotonic_ns();
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
      call_stats().record(m_id, monotonic_ns() - m_start, m_bytes);
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
