// The sampler of an application rank: a thread that, every interval, reads this
// process's counters, its MPI statistics and (on the node's leader rank) the node's
// counters, and queues them.  It never calls MPI: the queue is sent to the predictor by
// the application's own thread, at its next MPI call (CallScope checks one atomic
// flag), so ftmpi needs no MPI thread support.  A program that computes for a long time
// without MPI calls delivers its samples late, but with their original times.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "telemetry/batch.hpp"
#include "telemetry/hardware_counters.hpp"
#include "telemetry/system_probe.hpp"

namespace ftmpi {

struct SamplerConfig {
  double interval = 1.0;  // seconds
  int rank = 0;
  pid_t pid = 0;  // the process whose /proc counters are sampled; 0 for this one
  bool node_leader = false;
  NodeProbeConfig node;
};

class Sampler {
 public:
  explicit Sampler(SamplerConfig config);
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;
  Sampler(Sampler&&) = delete;
  Sampler& operator=(Sampler&&) = delete;
  ~Sampler();

  // Starts the thread; the first sample is taken at once.
  void start();
  // Takes a last sample and stops the thread.
  void stop();
  // The queued samples (emptied).
  SampleBatch take();
  [[nodiscard]] const std::string& papi_availability() const noexcept {
    return m_counters.availability();
  }

 private:
  void run();
  void sample_now();

  bool m_failed = false;  // a sample failed (said once)

  SamplerConfig m_config;
  HardwareCounters m_counters;
  NodeProbe m_node;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  SampleBatch m_queue;
  std::thread m_thread;
};

}  // namespace ftmpi
