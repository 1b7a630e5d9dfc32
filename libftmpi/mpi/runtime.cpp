#include "mpi/runtime.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "comm/job_world.hpp"
#include "comm/mpi_status.hpp"
#include "mpi/call_stats.hpp"
#include "mpi/handles.hpp"
#include "mpi/sampler.hpp"
#include "util/env.hpp"
#include "util/log.hpp"

namespace ftmpi {
namespace {

JobWorld g_world;
pid_t g_sampled_pid = 0;
bool g_leaving_for_migration = false;
std::unique_ptr<Sampler> g_sampler;

// Sends of sample batches still in flight, with their buffers.
struct PendingSend {
  MPI_Request request = MPI_REQUEST_NULL;
  std::vector<std::byte> bytes;
};
std::mutex g_send_mutex;
std::vector<CheckpointRecord> g_checkpoints;  // not yet sent; under g_send_mutex
std::deque<PendingSend>& pending_sends() {
  static std::deque<PendingSend> pending;
  return pending;
}

// Tells ftmpi-rank how far the program got; silently nothing without one.
void report_to_helper(char what) {
  const int fd = std::atoi(env_or(k_env_rank_fd, "-1"));
  if (fd > 2) {
    (void)!::write(fd, &what, 1);
  }
}

// Completes finished sends (front first; all of them when `wait`).
void reap_sends(bool wait) {
  while (!pending_sends().empty()) {
    int done = 0;
    if (wait) {
      PMPI_Wait(&pending_sends().front().request, MPI_STATUS_IGNORE);
      done = 1;
    } else {
      PMPI_Test(&pending_sends().front().request, &done, MPI_STATUS_IGNORE);
    }
    if (done == 0) {
      return;
    }
    pending_sends().pop_front();
  }
}

// Sends the sampler's queue to the predictor (from the application's thread, at the
// start of an MPI call, where nothing could catch: a batch there is no memory for is
// dropped, and the call goes on).
void deliver_samples() noexcept {
  const std::unique_lock lock(g_send_mutex, std::try_to_lock);
  if (!lock.owns_lock() || !g_sampler) {
    return;
  }
  try {
    SampleBatch batch = g_sampler->take();
    batch.checkpoints.swap(g_checkpoints);
    reap_sends(false);
    if (batch.ranks.empty() && batch.nodes.empty() && batch.checkpoints.empty()) {
      return;
    }
    PendingSend& send = pending_sends().emplace_back();
    send.bytes = encode_batch(batch);  // until it is sent, the request stays null
    PMPI_Isend(send.bytes.data(), static_cast<int>(send.bytes.size()), MPI_BYTE,
               g_world.predictor_rank, k_tag_samples, g_world.control, &send.request);
  } catch (...) {  // NOLINT(bugprone-empty-catch): the samples are lost, not the job
  }
}

// Whether this rank is the lowest one on its host (and so samples the node).
bool is_node_leader(const char* host) {
  int size = 0;
  int rank = 0;
  PMPI_Comm_size(g_world.app, &size);
  PMPI_Comm_rank(g_world.app, &rank);
  std::vector<char> hosts(static_cast<std::size_t>(size) * 64);
  PMPI_Allgather(host, 64, MPI_CHAR, hosts.data(), 64, MPI_CHAR, g_world.app);
  for (int r = 0; r < rank; ++r) {
    if (std::strncmp(&hosts[static_cast<std::size_t>(r) * 64], host, 64) == 0) {
      return false;
    }
  }
  return true;
}

Status start_telemetry() {
  RankHello hello;
  PMPI_Comm_rank(g_world.app, &hello.rank);
  hello.pid = g_sampled_pid > 0 ? g_sampled_pid : ::getpid();
  ::gethostname(hello.host, sizeof hello.host - 1);
  hello.node_leader = is_node_leader(hello.host) ? 1 : 0;

  SamplerConfig config;
  config.rank = hello.rank;
  config.pid = g_sampled_pid;
  config.node_leader = hello.node_leader != 0;
  config.interval = std::atof(env_or(k_env_sample_interval, "1"));
  if (!(config.interval > 0)) {
    config.interval = 1.0;
  }
  config.node = node_probe_config_from_environment();
  g_sampler = std::make_unique<Sampler>(config);
  set_text(hello.papi, g_sampler->papi_availability());
  FTMPI_RETURN_IF_ERROR(greet_predictor(g_world, hello));
  g_deliver_samples.store(&deliver_samples, std::memory_order_release);
  g_sampler->start();
  return {};
}

}  // namespace

void record_checkpoint(const CheckpointRecord& record) {
  const std::lock_guard lock(g_send_mutex);
  if (g_sampler) {
    g_checkpoints.push_back(record);
    g_samples_pending.store(true, std::memory_order_relaxed);
  }
}

void set_leaving_for_migration() noexcept {
  g_leaving_for_migration = true;
}

void set_sampled_process(pid_t pid) noexcept {
  g_sampled_pid = pid;
}

Status runtime_start() {
  auto world = join_job_world(JobRole::app);
  if (!world.ok()) {
    return world.status();
  }
  g_world = world.value();
  PMPI_Comm_set_name(g_world.app, "MPI_COMM_WORLD");
  set_world_mapping(g_world.app);
  if (g_world.has_predictor()) {
    FTMPI_RETURN_IF_ERROR(start_telemetry());
  }
  report_to_helper('I');
  logger("mpi")->debug("joined the job world: {} application ranks, predictor {}",
                       g_world.app_ranks, g_world.has_predictor() ? "present" : "absent");
  return {};
}

Status runtime_stop() {
  if (g_sampler) {
    g_deliver_samples.store(nullptr, std::memory_order_release);
    g_sampler->stop();
    const std::lock_guard lock(g_send_mutex);
    reap_sends(true);
    SampleBatch last = g_sampler->take();
    last.checkpoints.swap(g_checkpoints);
    const std::vector<std::byte> bytes = encode_batch(last);
    PMPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, g_world.predictor_rank,
              k_tag_samples, g_world.control);
    g_sampler.reset();
  }
  set_world_mapping(MPI_COMM_NULL);
  Status status = leave_job_world(g_world, g_leaving_for_migration);
  report_to_helper('F');
  return status;
}

}  // namespace ftmpi
