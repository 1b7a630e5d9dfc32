#include "mpi/sampler.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <utility>

#include "mpi/call_stats.hpp"
#include "util/clock.hpp"

namespace ftmpi {

Sampler::Sampler(SamplerConfig config)
    : m_config(std::move(config)), m_counters(system_papi(), ::getpid()), m_node(m_config.node) {}

Sampler::~Sampler() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

void Sampler::start() {
  sample_now();
  m_thread = std::thread([this] { run(); });
}

void Sampler::stop() {
  {
    const std::lock_guard lock(m_mutex);
    if (m_stopping || !m_thread.joinable()) {
      return;
    }
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
  sample_now();
}

SampleBatch Sampler::take() {
  const std::lock_guard lock(m_mutex);
  g_samples_pending.store(false, std::memory_order_relaxed);
  return std::exchange(m_queue, {});
}

void Sampler::run() {
  const auto period = std::chrono::duration<double>(m_config.interval);
  auto next = std::chrono::steady_clock::now() + period;
  std::unique_lock lock(m_mutex);
  while (!m_wake.wait_until(lock, next, [this] { return m_stopping; })) {
    lock.unlock();
    // A sample that cannot be taken (no memory for it) is skipped: this thread must not
    // end the application, as an exception leaving it would.
    try {
      sample_now();
    } catch (const std::exception& e) {
      if (!std::exchange(m_failed, true)) {
        std::fprintf(stderr, "ftmpi: rank %d: a sample failed (%s); skipped\n", m_config.rank,
                     e.what());
      }
    }
    lock.lock();
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
  }
}

void Sampler::sample_now() {
  RankSample r;
  r.time = wall_seconds();
  r.rank = m_config.rank;
  const std::string proc =
      m_config.pid > 0 ? "/proc/" + std::to_string(m_config.pid) : std::string("/proc/self");
  // No row for a process that is gone (an application CRIU ended for a migration; a
  // zombie has no resident memory).
  auto p = read_process_counters(proc);
  const bool present = p.ok() && p.value().rss_bytes > 0;
  if (present) {
    const ProcessCounters& c = p.value();
    r.cpu_user = c.cpu_user;
    r.cpu_system = c.cpu_system;
    r.rss_bytes = c.rss_bytes;
    r.minor_faults = c.minor_faults;
    r.major_faults = c.major_faults;
    r.voluntary_switches = c.voluntary_switches;
    r.involuntary_switches = c.involuntary_switches;
    r.read_bytes = c.read_bytes;
    r.write_bytes = c.write_bytes;
  }
  const auto by_class = call_stats().by_class();
  for (std::size_t i = 0; i < k_mpi_classes; ++i) {
    r.mpi_calls[i] = static_cast<std::int64_t>(by_class[i].calls);
    r.mpi_seconds[i] = static_cast<double>(by_class[i].ns) * 1e-9;
    r.mpi_bytes[i] = static_cast<std::int64_t>(by_class[i].bytes);
  }
  const auto papi = m_counters.read();
  std::copy(papi.begin(), papi.end(), r.papi);
  NodeSample n;
  if (m_config.node_leader) {
    n = m_node.sample();
    n.time = r.time;
    n.reporter = m_config.rank;
  }
  const std::lock_guard lock(m_mutex);
  if (present) {
    m_queue.ranks.push_back(r);
  }
  if (m_config.node_leader) {
    m_queue.nodes.push_back(n);
  }
  g_samples_pending.store(true, std::memory_order_relaxed);
}

}  // namespace ftmpi
