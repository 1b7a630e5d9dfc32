#include "proxy/quiesce.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "ckpt/manifest.hpp"
#include "mpi/handles.hpp"
#include "mpi/mpi_library.hpp"
#include "mpi/runtime.hpp"
#include "proxy/custom_exec.hpp"
#include "proxy/precopy.hpp"
#include "proxy/progress.hpp"
#include "proxy/state.hpp"
#include "util/clock.hpp"
#include "util/env.hpp"
#include "util/files.hpp"
#include "util/job_env.hpp"
#include "util/log.hpp"

namespace ftmpi {
namespace {

constexpr int k_tag_request = 101;  // to proxy 0: a checkpoint is wanted
constexpr int k_tag_quiesce = 102;  // from proxy 0: quiesce now (payload: the epoch)
constexpr unsigned k_look_every = 128;
constexpr double k_retry_seconds = 0.05;  // after a deferred timed checkpoint

bool matches(const DrainedMessage& m, MPI_Comm comm, int source, int tag) {
  return m.comm == comm && (source == MPI_ANY_SOURCE || source == m.source) &&
         (tag == MPI_ANY_TAG || tag == m.tag);
}

}  // namespace

// --- Traffic ------------------------------------------------------------------------

void Traffic::set_ranks(int ranks) {
  m_sent.assign(static_cast<std::size_t>(ranks), 0);
  m_received.assign(static_cast<std::size_t>(ranks), 0);
}

int Traffic::world_rank(MPI_Comm comm, int rank) {
  if (rank < 0 || comm == MPI_COMM_NULL) {
    return -1;
  }
  auto it = m_ranks.find(comm);
  if (it == m_ranks.end()) {
    if (m_world_group == MPI_GROUP_NULL) {
      PMPI_Comm_group(app_world(), &m_world_group);
    }
    int inter = 0;
    PMPI_Comm_test_inter(comm, &inter);
    MPI_Group group = MPI_GROUP_NULL;
    if (inter != 0) {
      PMPI_Comm_remote_group(comm, &group);
    } else {
      PMPI_Comm_group(comm, &group);
    }
    int size = 0;
    PMPI_Group_size(group, &size);
    std::vector<int> ranks(static_cast<std::size_t>(size));
    std::vector<int> world(static_cast<std::size_t>(size));
    for (int i = 0; i < size; ++i) {
      ranks[static_cast<std::size_t>(i)] = i;
    }
    PMPI_Group_translate_ranks(group, size, ranks.data(), m_world_group, world.data());
    PMPI_Group_free(&group);
    it = m_ranks.emplace(comm, std::move(world)).first;
  }
  if (static_cast<std::size_t>(rank) >= it->second.size()) {
    return -1;
  }
  const int w = it->second[static_cast<std::size_t>(rank)];
  return w == MPI_UNDEFINED || static_cast<std::size_t>(w) >= m_sent.size() ? -1 : w;
}

void Traffic::sent(MPI_Comm comm, int dest) {
  const int w = world_rank(comm, dest);
  if (w >= 0) {
    ++m_sent[static_cast<std::size_t>(w)];
  }
}

void Traffic::received(MPI_Comm comm, int source) {
  const int w = world_rank(comm, source);
  if (w >= 0) {
    ++m_received[static_cast<std::size_t>(w)];
  }
}

void Traffic::recv_posted(MPI_Request request, MPI_Comm comm) {
  m_recvs[handle_bits(request)] = PendingRecv{comm, false};
}

void Traffic::recv_completed(MPI_Request request, const MPI_Status* status, bool forget) {
  auto it = m_recvs.find(handle_bits(request));
  if (it == m_recvs.end()) {
    return;
  }
  if (!it->second.counted && status != MPI_STATUS_IGNORE && status->MPI_SOURCE >= 0) {
    received(it->second.comm, status->MPI_SOURCE);
  }
  if (forget) {
    m_recvs.erase(it);
  } else {
    it->second.counted = true;  // still known (persistent: its next start posts anew)
  }
}

void Traffic::observe_pending() {
  for (auto& [bits, pending] : m_recvs) {
    if (pending.counted) {
      continue;
    }
    const MPI_Request real = to_real(handle_from_bits<MPI_Request>(bits));
    int done = 0;
    MPI_Status status{};
    if (real != MPI_REQUEST_NULL && PMPI_Request_get_status(real, &done, &status) == MPI_SUCCESS &&
        done != 0) {
      if (status.MPI_SOURCE >= 0) {
        received(pending.comm, status.MPI_SOURCE);
      }
      pending.counted = true;
    }
  }
}

void Traffic::rename(MPI_Request made, MPI_Request old) {
  auto node = m_recvs.extract(handle_bits(made));
  if (!node.empty()) {
    node.key() = handle_bits(old);
    m_recvs.insert(std::move(node));
  }
}

void Traffic::served_from_drain(MPI_Request request) {
  m_served.push_back(handle_bits(request));
}

bool Traffic::take_served(MPI_Request request) {
  const auto it = std::find(m_served.begin(), m_served.end(), handle_bits(request));
  if (it == m_served.end()) {
    return false;
  }
  m_served.erase(it);
  return true;
}

// --- drained messages -----------------------------------------------------------------

MPI_Request completed_request(const MPI_Status& status) {
  auto* state = new MPI_Status(status);
  MPI_Request real = MPI_REQUEST_NULL;
  PMPI_Grequest_start(
      [](void* s, MPI_Status* st) {
        *st = *static_cast<MPI_Status*>(s);
        return MPI_SUCCESS;
      },
      [](void* s) {
        delete static_cast<MPI_Status*>(s);
        return MPI_SUCCESS;
      },
      [](void* /*state*/, int /*complete*/) { return MPI_SUCCESS; }, state, &real);
  PMPI_Grequest_complete(real);
  return real;
}

std::optional<DrainedMessage> DrainQueue::take(MPI_Comm comm, int source, int tag) {
  for (auto it = m_messages.begin(); it != m_messages.end(); ++it) {
    if (matches(*it, comm, source, tag)) {
      DrainedMessage m = std::move(*it);
      m_messages.erase(it);
      return m;
    }
  }
  return std::nullopt;
}

const DrainedMessage* DrainQueue::find(MPI_Comm comm, int source, int tag) const {
  for (const DrainedMessage& m : m_messages) {
    if (matches(m, comm, source, tag)) {
      return &m;
    }
  }
  return nullptr;
}

DrainedMessage receive_matched(MPI_Comm comm, MPI_Message* real, const MPI_Status& status) {
  MPI_Count bytes = 0;
  PMPI_Get_elements_x(&status, MPI_BYTE, &bytes);
  DrainedMessage m;
  m.comm = comm;
  m.source = status.MPI_SOURCE;
  m.tag = status.MPI_TAG;
  m.packed.resize(static_cast<std::size_t>(bytes));
  PMPI_Mrecv(m.packed.data(), static_cast<int>(bytes), MPI_PACKED, real, MPI_STATUS_IGNORE);
  traffic().received(to_real(comm), m.source);  // out of MPI's queues
  return m;
}

namespace {

// What a held message's handle stands for in the handle table: no real MPI_Message.
int g_held_message_marker = 0;

SavedMessage to_saved(const DrainedMessage& m) {
  SavedMessage s;
  s.comm = handle_bits(m.comm);
  s.source = m.source;
  s.tag = m.tag;
  s.packed.resize(m.packed.size());
  std::memcpy(s.packed.data(), m.packed.data(), m.packed.size());
  return s;
}

DrainedMessage from_saved(const SavedMessage& s,
                          const std::function<std::uint64_t(std::uint64_t)>& translate) {
  DrainedMessage m;
  m.comm = handle_from_bits<MPI_Comm>(translate(s.comm));
  m.source = s.source;
  m.tag = s.tag;
  m.packed.resize(s.packed.size());
  std::memcpy(m.packed.data(), s.packed.data(), s.packed.size());
  return m;
}

}  // namespace

MPI_Message MatchedMessages::hold(DrainedMessage message) {
  const std::uintptr_t bits = handle_table(HandleKind::message).add(&g_held_message_marker);
  m_held.emplace(bits, std::move(message));
  return handle_from_bits<MPI_Message>(bits);
}

std::optional<DrainedMessage> MatchedMessages::take(MPI_Message handle) {
  const std::uintptr_t bits = handle_bits(handle);
  const auto it = m_held.find(bits);
  if (it == m_held.end()) {
    return std::nullopt;
  }
  DrainedMessage message = std::move(it->second);
  m_held.erase(it);
  handle_table(HandleKind::message).release(bits);
  return message;
}

std::vector<SavedMessage> MatchedMessages::saved() const {
  std::vector<SavedMessage> out;
  for (const auto& [bits, message] : m_held) {
    out.push_back(to_saved(message));
    out.back().handle = bits;
  }
  return out;
}

std::vector<SavedMessage> DrainQueue::saved() const {
  std::vector<SavedMessage> out;
  for (const DrainedMessage& m : m_messages) {
    out.push_back(to_saved(m));
  }
  return out;
}

void DrainQueue::restore(const std::vector<SavedMessage>& messages,
                         const std::function<std::uint64_t(std::uint64_t)>& translate) {
  for (const SavedMessage& s : messages) {
    m_messages.push_back(from_saved(s, translate));
  }
}

void MatchedMessages::restore(const std::vector<SavedMessage>& messages,
                              const std::function<std::uint64_t(std::uint64_t)>& translate) {
  for (const SavedMessage& s : messages) {
    handle_table(HandleKind::message).place(s.handle, &g_held_message_marker);
    m_held.emplace(s.handle, from_saved(s, translate));
  }
}

void drained_status(const DrainedMessage& message, MPI_Status* status) {
  if (status == MPI_STATUS_IGNORE) {
    return;
  }
  status->MPI_SOURCE = message.source;
  status->MPI_TAG = message.tag;
  status->MPI_ERROR = MPI_SUCCESS;
  PMPI_Status_set_cancelled(status, 0);
  PMPI_Status_set_elements_x(status, MPI_BYTE, static_cast<MPI_Count>(message.packed.size()));
}

int deliver_drained(const DrainedMessage& message, void* buf, int count, MPI_Datatype type,
                    MPI_Status* status) {
  const MPI_Datatype real_type = to_real(type);
  const MPI_Comm real_comm = to_real(message.comm);
  int size = 0;
  PMPI_Type_size(real_type, &size);
  if (static_cast<std::size_t>(size) * static_cast<std::size_t>(std::max(count, 0)) <
      message.packed.size()) {
    drained_status(message, status);
    return MPI_ERR_TRUNCATE;
  }
  int rc = MPI_SUCCESS;
  if (!message.packed.empty()) {  // an empty message: MPI_Unpack refuses its null buffer
    int position = 0;
    const int elements = static_cast<int>(message.packed.size()) / size;
    rc = PMPI_Unpack(message.packed.data(), static_cast<int>(message.packed.size()), &position, buf,
                     elements, real_type, real_comm);
  }
  drained_status(message, status);
  return rc;
}

// --- Control --------------------------------------------------------------------------

std::string node_name() {
  if (const char* node = std::getenv("FTMPI_NODE"); node != nullptr && *node != '\0') {  // NOLINT
    return node;
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

void Control::start(pid_t app, pid_t keeper, std::string channel) {
  PMPI_Comm_dup(app_world(), &m_comm);
  PMPI_Comm_dup(app_world(), &m_stop_comm);
  PMPI_Comm_rank(m_comm, &m_rank);
  PMPI_Comm_size(m_comm, &m_size);
  traffic().set_ranks(m_size);
  m_app = app;
  m_keeper = keeper;
  m_channel = std::move(channel);
  m_interval = std::atof(env_or(k_env_ckpt_interval, "0"));
  m_keep = std::max(1, std::atoi(env_or(k_env_ckpt_keep, "2")));
  m_root = env_or(k_env_ckpt_dir, "");
  m_last = wall_seconds();
  if (!m_root.empty()) {
    auto criu = find_criu();
    if (criu.ok()) {
      m_criu = std::make_unique<Criu>(criu.value());
    } else if (m_rank == 0) {
      logger("proxy")->error("checkpoints are off: {}", criu.status().message());
    }
  }
}

void Control::stop() {
  if (m_comm == MPI_COMM_NULL) {
    return;
  }
  // Every proxy passes this barrier, looking for quiesce requests while it waits, so a
  // checkpoint proxy 0 started before it got here is completed by all.
  m_stopping = true;
  m_ctl_retries = 0;
  MPI_Request barrier = MPI_REQUEST_NULL;
  PMPI_Ibarrier(m_stop_comm, &barrier);
  for (int done = 0; done == 0;) {
    PMPI_Test(&barrier, &done, MPI_STATUS_IGNORE);
    if (done == 0) {
      look();
    }
  }
  PMPI_Comm_free(&m_comm);
  PMPI_Comm_free(&m_stop_comm);
}

void Control::leave() {
  m_stopping = true;
  if (m_comm != MPI_COMM_NULL) {
    PMPI_Comm_free(&m_comm);
    PMPI_Comm_free(&m_stop_comm);
  }
}

void Control::poll(bool idle) {
  if (m_comm == MPI_COMM_NULL || m_in_quiesce) {
    return;
  }
  if (!idle && ++m_calls % k_look_every != 0) {
    return;
  }
  look();
}

void Control::look() {
  if (m_agreement != MPI_REQUEST_NULL) {  // a quiesce put aside for a collective
    resume_quiesce();
    return;
  }
  if (!m_stopping) {
    precopy().look_for_order(m_root, node_name(), m_rank);
  }
  int flag = 0;
  MPI_Status status{};
  if (m_rank == 0) {
    // Requests from the other proxies.
    for (;;) {
      PMPI_Iprobe(MPI_ANY_SOURCE, k_tag_request, m_comm, &flag, &status);
      if (flag == 0) {
        break;
      }
      PMPI_Recv(nullptr, 0, MPI_BYTE, status.MPI_SOURCE, k_tag_request, m_comm, MPI_STATUS_IGNORE);
      m_waited_for = true;
    }
    look_for_requests();
    // Not while stopping: another proxy may already have left (requests are still
    // served: whoever asked waits for the answer before it stops).
    if (m_interval > 0 && !m_stopping && wall_seconds() - m_last >= m_interval) {
      m_requested = true;
    }
    // Start only where this proxy can itself be checkpointed: not in the middle of a
    // collective or after its sends (it would only be deferred); the request waits.
    const CallProgress& progress = call_progress();
    const bool busy = progress.in_collective || progress.sent;
    // While stopping, only a checkpoint a rank waits for (that rank cannot have left):
    // the timer and ftmpi-ctl's requests could start one another proxy never joins.
    const bool migrate = m_migration.from[0] != '\0' && !m_stopping;
    const bool due = m_waited_for || (m_requested && !m_stopping) || migrate;
    if (due && !busy) {
      QuiesceOrder order;
      if (migrate && !m_waited_for) {
        order = m_migration;  // a checkpoint someone waits for goes first
      } else {
        m_requested = false;
        m_waited_for = false;
      }
      order.epoch = m_completed + 1;
      std::vector<MPI_Request> sends(static_cast<std::size_t>(m_size), MPI_REQUEST_NULL);
      for (int r = 1; r < m_size; ++r) {
        PMPI_Isend(&order, sizeof order, MPI_BYTE, r, k_tag_quiesce, m_comm,
                   &sends[static_cast<std::size_t>(r)]);
      }
      PMPI_Waitall(m_size, sends.data(), MPI_STATUSES_IGNORE);
      quiesce(order);
    }
    return;
  }
  PMPI_Iprobe(0, k_tag_quiesce, m_comm, &flag, &status);
  if (flag != 0) {
    QuiesceOrder order;
    PMPI_Recv(&order, sizeof order, MPI_BYTE, 0, k_tag_quiesce, m_comm, MPI_STATUS_IGNORE);
    quiesce(order);
  }
}

void Control::look_for_requests() {
  // ftmpi-ctl's requests: files in the checkpoint directory, looked for every 100 ms.
  if (m_root.empty() || m_stopping || wall_seconds() - m_last_request_look < 0.1) {
    return;
  }
  m_last_request_look = wall_seconds();
  namespace fs = std::filesystem;
  const std::string request = (fs::path(m_root) / k_checkpoint_request_file).string();
  if (::unlink(request.c_str()) == 0) {
    m_requested = true;
    m_ctl_retries = 100;
  }
  // A migration: ftmpi-launch's order "FROM TO TIME STATE" (it took ftmpi-ctl's or the
  // predictor's request, checked the nodes and started the next MPI layer).  A job
  // without spare nodes has no launcher taking requests: they are refused here.
  const bool spares = std::getenv(k_env_spares) != nullptr;  // NOLINT(concurrency-mt-unsafe)
  const std::string migrate =
      (fs::path(m_root) / (spares ? k_migrate_order_file : k_migrate_request_file)).string();
  std::ifstream in(migrate);
  std::string from;
  std::string to;
  double requested = 0;
  std::string state;
  if (in >> from >> to) {
    in >> requested >> state;
    ::unlink(migrate.c_str());
    if (!spares) {
      logger("proxy")->error("migration of node {} asked for, but the job has no spare nodes",
                             from);
      return;
    }
    m_migration = QuiesceOrder{};
    m_migration.kind = QuiesceOrder::migration;
    m_migration.requested = requested > 0 ? requested : wall_seconds();
    std::snprintf(m_migration.from, sizeof m_migration.from, "%s", from.c_str());
    std::snprintf(m_migration.to, sizeof m_migration.to, "%s", to.c_str());
    if (state.rfind("migration-", 0) == 0 && state.find('/') == std::string::npos) {
      std::snprintf(m_migration.state, sizeof m_migration.state, "%s", state.c_str());
    }
    // Tried again while the job is mid-communication, for 10 s (FTMPI_MIGRATION_PATIENCE).
    m_migration_give_up_at = wall_seconds() + std::atof(env_or("FTMPI_MIGRATION_PATIENCE", "10"));
    logger("proxy")->info("migration of node {} to {} asked for", from, to);
  }
}

int Control::checkpoint_and_wait() {
  if (m_comm == MPI_COMM_NULL) {
    return MPI_ERR_OTHER;
  }
  const std::uint64_t target = m_completed + 1;
  if (m_rank == 0) {
    m_waited_for = true;
  } else {
    PMPI_Send(nullptr, 0, MPI_BYTE, 0, k_tag_request, m_comm);
  }
  while (m_completed < target) {
    look();
  }
  return m_last_written ? MPI_SUCCESS : MPI_ERR_PENDING;
}

bool Control::collective_under_way() {
  const CallProgress& progress = call_progress();
  int barrier_done = 0;
  if (progress.barrier != MPI_REQUEST_NULL) {
    PMPI_Request_get_status(to_real(progress.barrier), &barrier_done, MPI_STATUS_IGNORE);
  }
  return progress.in_collective || barrier_done != 0;
}

void Control::drain() {
  // How many messages each rank sent me, against how many I have taken out of MPI.
  std::vector<std::int64_t> expected(static_cast<std::size_t>(m_size), 0);
  PMPI_Alltoall(traffic().sent_to().data(), 1, MPI_INT64_T, expected.data(), 1, MPI_INT64_T,
                m_comm);
  m_drained = 0;
  if (collective_under_way()) {
    // No checkpoint now (write_checkpoint defers it), and a communicator this proxy is
    // still making (its constructor runs beside the polling) may already carry messages
    // to it from members that returned: it cannot probe for those, so it does not wait
    // for any.  Whatever was sent stays in MPI for the application's receives.
    return;
  }
  // The communicators the application can receive on: its own, MPI_COMM_WORLD and
  // MPI_COMM_SELF, as it names them.
  std::vector<MPI_Comm> comms{MPI_COMM_WORLD, MPI_COMM_SELF};
  for (std::uintptr_t bits : handle_table(HandleKind::comm).live_handles()) {
    comms.push_back(handle_from_bits<MPI_Comm>(bits));
  }
  std::size_t drained = 0;
  for (;;) {
    traffic().observe_pending();
    bool complete = true;
    for (int r = 0; r < m_size; ++r) {
      complete = complete && traffic().received_from()[static_cast<std::size_t>(r)] >=
                                 expected[static_cast<std::size_t>(r)];
    }
    if (complete) {
      break;
    }
    for (MPI_Comm comm : comms) {
      const MPI_Comm real = to_real(comm);
      int flag = 0;
      MPI_Message message = MPI_MESSAGE_NULL;
      MPI_Status status{};
      if (real == MPI_COMM_NULL ||
          PMPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, real, &flag, &message, &status) !=
              MPI_SUCCESS ||
          flag == 0) {
        continue;
      }
      DrainedMessage m = receive_matched(comm, &message, status);
      logger("proxy")->debug("rank {}: drained a message of {} bytes from {} with tag {}", m_rank,
                             m.packed.size(), m.source, m.tag);
      drain_queue().push(std::move(m));
      ++drained;
    }
  }
  logger("proxy")->debug("rank {}: drained {} messages", m_rank, drained);
  m_drained = drained;
}

void Control::quiesce(const QuiesceOrder& order) {
  m_order = order;
  m_quiesce_start = monotonic_ns();
  PMPI_Ibarrier(m_comm, &m_agreement);
  resume_quiesce();
}

void Control::resume_quiesce() {
  if (agree()) {
    complete_quiesce(m_order);
  }
}

bool Control::agree() {
  for (unsigned rounds = 1;; ++rounds) {
    int done = 0;
    PMPI_Test(&m_agreement, &done, MPI_STATUS_IGNORE);
    if (done != 0) {
      return true;
    }
    // Every member of this proxy's collective entered its barrier: some may be inside
    // the collective already, and they stay there until this proxy joins them.
    const MPI_Request barrier = call_progress().barrier;
    int entered = 0;
    if (barrier != MPI_REQUEST_NULL) {
      PMPI_Request_get_status(to_real(barrier), &entered, MPI_STATUS_IGNORE);
    }
    if (entered != 0) {
      logger("proxy")->debug("rank {}: quiesce {} put aside for a collective", m_rank,
                             m_order.epoch);
      return false;
    }
    if ((rounds & 63U) == 0) {
      ::sched_yield();
    }
  }
}

void Control::complete_quiesce(const QuiesceOrder& order) {
  const std::uint64_t epoch = order.epoch;
  const bool migration = order.kind == QuiesceOrder::migration;
  const std::uint64_t start = m_quiesce_start;
  m_in_quiesce = true;
  drain();
  PMPI_Barrier(m_comm);
  const double ms = static_cast<double>(monotonic_ns() - start) * 1e-6;
  logger("proxy")->info("rank {}: {} {}: quiesced in {:.1f} ms, drained {} messages", m_rank,
                        migration ? "migration" : "checkpoint", epoch, ms, m_drained);
  if (migration) {
    const bool written = !m_root.empty() && m_criu && write_checkpoint(epoch, ms, start, &order);
    if (written) {
      m_completed = epoch;
      if (m_leave) {
        m_leave(node_name() == order.from);  // does not return
      }
    }
    if (m_rank == 0 && wall_seconds() >= m_migration_give_up_at) {
      logger("proxy")->error("migration of node {} given up: the job was never quiet enough",
                             order.from);
      // ftmpi-launch stops the MPI layer it started for it.
      (void)write_file_atomically(
          (std::filesystem::path(m_root) / k_migration_abandoned_file).string(),
          fmt::format("{}\n", order.from));
      m_migration = QuiesceOrder{};
    }
    m_in_quiesce = false;
    return;
  }
  if (!m_root.empty() && m_criu) {
    m_last_written = write_checkpoint(epoch, ms, start, nullptr);
    if (!m_last_written && m_rank == 0 && m_ctl_retries > 0) {
      --m_ctl_retries;
      m_requested = true;  // ftmpi-ctl waits for one: try again shortly
    }
  }
  m_completed = epoch;
  m_last = wall_seconds();
  if (!m_last_written && m_interval > 0) {
    // Deferred (the job was mid-communication): try again soon, not a whole interval on.
    m_last -= std::max(0.0, m_interval - k_retry_seconds);
  }
  m_in_quiesce = false;
}

namespace {

// The regular files process `pid` has open for writing, and their sizes now.
void writable_files(pid_t pid, std::vector<std::string>& paths, std::vector<std::uint64_t>& sizes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path fd_dir = fmt::format("/proc/{}/fd", pid);
  for (const auto& entry : ftmpi::directory_entries(fd_dir, ec)) {
    const fs::path target = fs::read_symlink(entry.path(), ec);
    if (ec || !target.is_absolute() || !fs::is_regular_file(target, ec)) {
      continue;
    }
    std::ifstream info(fmt::format("/proc/{}/fdinfo/{}", pid, entry.path().filename().string()));
    std::string key;
    std::string value;
    unsigned long flags = 0;
    while (info >> key >> value) {
      if (key == "flags:") {
        flags = std::strtoul(value.c_str(), nullptr, 8);
      }
    }
    if ((flags & (O_WRONLY | O_RDWR)) == 0) {
      continue;
    }
    const auto size = fs::file_size(target, ec);
    if (!ec && std::find(paths.begin(), paths.end(), target.string()) == paths.end()) {
      paths.push_back(target.string());
      sizes.push_back(size);
    }
  }
}

}  // namespace

bool Control::write_checkpoint(std::uint64_t epoch, double quiesce_ms, std::uint64_t start_ns,
                               const QuiesceOrder* migration) {
  namespace fs = std::filesystem;
  // Only a state a restart can bring back: no request of the application pending in
  // MPI, no message taken by a receive the application has not seen, no call half done.
  std::string busy;
  m_saved_requests.clear();
  if (collective_under_way()) {
    busy = "a collective is under way";
  } else if (m_save_requests) {
    auto saved = m_save_requests();
    if (saved.ok()) {
      m_saved_requests = std::move(saved.value());
    } else {
      busy = saved.status().message();
    }
  }
  int quiet = busy.empty() ? 1 : 0;
  int all_quiet = 0;
  PMPI_Allreduce(&quiet, &all_quiet, 1, MPI_INT, MPI_MIN, m_comm);
  if (all_quiet == 0) {
    if (!busy.empty()) {
      logger("proxy")->info("rank {}: {} {} deferred: {}", m_rank,
                            migration ? "migration" : "checkpoint", epoch, busy);
    }
    return false;
  }
  if (migration && m_rank == 0) {
    std::fprintf(stderr, "ftmpi: migration of node %s: job quiesced in %.1f ms, dumping\n",
                 migration->from, quiesce_ms);
  }
  const std::string dir =
      (fs::path(m_root) / (migration == nullptr          ? checkpoint_name(epoch)
                           : migration->state[0] != '\0' ? std::string(migration->state)
                                                         : migration_name(epoch)))
          .string();
  // A migration dumps only the applications of the node left (CRIU ends them); the
  // others stay where they are and wait for their next proxy.
  const bool dump = migration == nullptr || node_name() == migration->from;
  const std::string rank_dir = fmt::format("rank-{}", m_rank);
  std::error_code ec;
  int ok = 1;
  if (m_rank == 0) {
    fs::remove_all(dir, ec);  // a failed attempt with this number
    fs::create_directories(dir, ec);
    ok = ec ? 0 : 1;
  }
  PMPI_Bcast(&ok, 1, MPI_INT, 0, m_comm);
  std::string mine;
  double dump_ms = 0;
  double write_ms = 0;
  std::uint64_t bytes = 0;
  bool precopied = false;  // a migration's pre-copied arena used
  if (ok == 0) {
    mine = fmt::format("ERROR: cannot create {}", dir);
  } else {
    const std::uint64_t t0 = monotonic_ns();
    fs::create_directories(fs::path(dir) / rank_dir, ec);
    m_stdio_keys.clear();
    for (int fd = 0; fd < 3; ++fd) {
      m_stdio_keys.push_back(
          fs::read_symlink(fmt::format("/proc/{}/fd/{}", m_app, fd), ec).string());
    }
    // A migration's pre-copied arena: only what changed since goes into its image, the
    // application is dumped without it.
    const std::string images = (fs::path(dir) / rank_dir).string();
    precopied = !ec && dump && migration != nullptr && precopy().finish(migration->state, images);
    Status dumped = ec     ? errno_status("cannot create " + rank_dir, ec.value())
                    : dump ? m_criu->dump(m_app, images, migration == nullptr)
                           : Status{};
    if (precopied && !dumped.ok()) {
      precopy().undo(images);
    }
    dump_ms = static_cast<double>(monotonic_ns() - t0) * 1e-6;
    if (dumped.ok()) {
      dumped = save_state(epoch, (fs::path(dir) / rank_dir / k_proxy_state_file).string());
    }
    if (dumped.ok()) {
      // The channel's state (a call the application waits on) goes with it.
      fs::copy_file(m_channel, fs::path(dir) / rank_dir / "channel.bin",
                    fs::copy_options::overwrite_existing, ec);
      if (ec) {
        dumped = io_error(fmt::format("cannot copy {}: {}", m_channel, ec.message()));
      }
    }
    auto files = dumped.ok() ? describe_files(dir, rank_dir, migration == nullptr)
                             : Result<std::vector<CheckpointFile>>(dumped);
    write_ms = static_cast<double>(monotonic_ns() - t0) * 1e-6 - dump_ms;
    if (files.ok()) {
      RankCheckpoint r{m_rank, m_channel, files.value()};
      for (const CheckpointFile& f : r.files) {
        bytes += f.size;
      }
      mine = rank_to_json(r);
    } else {
      mine = "ERROR: " + files.status().message();
    }
  }
  // Everything to proxy 0, once every proxy has dumped: those done (or with nothing to
  // dump, in a migration) wait without spinning, so that the CRIU runs still going on
  // have the cores.
  barrier_without_spinning(m_comm);
  const int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(m_size));
  PMPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, m_comm);
  std::vector<int> offsets(static_cast<std::size_t>(m_size), 0);
  int total = 0;
  for (int r = 0; r < m_size; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += lengths[static_cast<std::size_t>(r)];
  }
  std::string all(static_cast<std::size_t>(m_rank == 0 ? total : 0), '\0');
  PMPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
               0, m_comm);
  double max_dump_ms = 0;
  const double precopy_ms = precopied ? precopy().copy_ms() : 0;
  double max_precopy_ms = 0;
  std::uint64_t all_bytes = 0;
  PMPI_Reduce(&dump_ms, &max_dump_ms, 1, MPI_DOUBLE, MPI_MAX, 0, m_comm);
  PMPI_Reduce(&precopy_ms, &max_precopy_ms, 1, MPI_DOUBLE, MPI_MAX, 0, m_comm);
  PMPI_Reduce(&bytes, &all_bytes, 1, MPI_UINT64_T, MPI_SUM, 0, m_comm);
  int written = 1;
  if (m_rank == 0) {
    Manifest manifest;
    manifest.epoch = epoch;
    manifest.command = env_or(k_env_command, "");
    manifest.quiesce_ms = quiesce_ms;
    manifest.dump_ms = max_dump_ms;
    manifest.bytes = all_bytes;
    if (migration) {
      manifest.checksums = false;
      manifest.migrate_from = migration->from;
      manifest.migrate_to = migration->to;
      // The quiesce started total_ms before now.
      manifest.decision_ms =
          std::max(0.0, (wall_seconds() - migration->requested) * 1e3 -
                            static_cast<double>(monotonic_ns() - start_ns) * 1e-6);
      manifest.precopy_ms = max_precopy_ms;
    }
    std::string failure;
    for (int r = 0; r < m_size && failure.empty(); ++r) {
      const std::string part =
          all.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                     static_cast<std::size_t>(lengths[static_cast<std::size_t>(r)]));
      if (part.rfind("ERROR: ", 0) == 0) {
        failure = fmt::format("rank {}: {}", r, part.substr(7));
        break;
      }
      auto rank = rank_from_json(part);
      if (!rank.ok()) {
        failure = rank.status().message();
        break;
      }
      manifest.ranks.push_back(rank.value());
    }
    if (failure.empty()) {
      manifest.time = wall_seconds();
      manifest.total_ms = static_cast<double>(monotonic_ns() - start_ns) * 1e-6;
      const Status status = write_manifest(dir, manifest);
      if (!status.ok()) {
        failure = status.message();
      }
    }
    if (failure.empty() && migration) {
      logger("proxy")->info(
          "migration {}: the state of node {} written to {}: {} bytes, quiesce {:.1f} ms, "
          "dump {:.1f} ms",
          epoch, migration->from, dir, all_bytes, quiesce_ms, max_dump_ms);
    } else if (failure.empty()) {
      prune_checkpoints(m_root, m_keep, 0);
      logger("proxy")->info(
          "checkpoint {} written to {}: {} bytes, quiesce {:.1f} ms, dump {:.1f} ms", epoch, dir,
          all_bytes, quiesce_ms, max_dump_ms);
    } else {
      fs::remove_all(dir, ec);  // never leave a partial checkpoint that looks usable
      written = 0;
      if (migration) {
        logger("proxy")->error(
            "migration of node {} failed, the job goes on where it is (tried "
            "again): {}",
            migration->from, failure);
      } else {
        logger("proxy")->error(
            "checkpoint {} failed, the job goes on (the previous checkpoint is intact): {}", epoch,
            failure);
      }
    }
  }
  PMPI_Bcast(&written, 1, MPI_INT, 0, m_comm);
  if (written != 0) {
    CheckpointRecord record;
    record.time = wall_seconds();
    record.rank = m_rank;
    set_text(record.kind, migration ? "migration-out" : "checkpoint");
    record.epoch = static_cast<std::int64_t>(epoch);
    record.quiesce_ms = quiesce_ms;
    record.dump_ms = dump_ms;
    record.write_ms = write_ms;
    record.total_ms = static_cast<double>(monotonic_ns() - start_ns) * 1e-6;
    record.bytes = static_cast<std::int64_t>(bytes);
    record.drained = static_cast<std::int64_t>(m_drained);
    record_checkpoint(record);
  }
  return written != 0;
}

Status Control::save_state(std::uint64_t epoch, const std::string& path) const {
  ProxyState state;
  state.epoch = epoch;
  state.rank = m_rank;
  const AppIdentity local = local_mpi_library();
  state.predefined.assign(local.predefined, local.predefined + local.predefined_count);
  state.log = creation_log().records();
  // A message the call in progress already received goes first (it is the oldest):
  // carried out again after a restart, the call takes it from there.
  const CallProgress& progress = call_progress();
  if (progress.receive != MPI_REQUEST_NULL) {
    int done = 0;
    MPI_Status status{};
    PMPI_Request_get_status(to_real(progress.receive), &done, &status);
    if (done != 0 && status.MPI_SOURCE >= 0) {
      const MPI_Datatype type = to_real(progress.type);
      const MPI_Comm comm = to_real(progress.comm);
      int elements = 0;
      PMPI_Get_count(&status, type, &elements);
      int size = 0;
      PMPI_Pack_size(elements, type, comm, &size);
      SavedMessage m;
      m.comm = handle_bits(progress.comm);
      m.source = status.MPI_SOURCE;
      m.tag = status.MPI_TAG;
      m.packed.resize(static_cast<std::size_t>(size));
      int position = 0;
      if (size > 0) {  // MPI_Pack refuses an empty message's null buffer
        PMPI_Pack(progress.buf, elements, type, m.packed.data(), size, &position, comm);
      }
      m.packed.resize(static_cast<std::size_t>(position));
      state.drained.push_back(std::move(m));
    }
  }
  for (SavedMessage& m : drain_queue().saved()) {
    state.drained.push_back(std::move(m));
  }
  state.matched = matched_messages().saved();
  state.call_sent = progress.sent;
  writable_files(m_app, state.file_paths, state.file_sizes);
  state.stdio = m_stdio_keys;
  state.app_initialized = app_mpi_state().initialized;
  state.app_finalized = app_mpi_state().finalized;
  state.app_thread_level = app_mpi_state().thread_level;
  state.requests = m_saved_requests;
  state.app_pid = m_app;
  state.keeper_pid = m_keeper;
  state.node = node_name();
  return save_proxy_state(path, state);
}

Traffic& traffic() noexcept {
  static Traffic t;
  return t;
}

DrainQueue& drain_queue() noexcept {
  static DrainQueue q;
  return q;
}

MatchedMessages& matched_messages() noexcept {
  static MatchedMessages held;
  return held;
}

Control& control() noexcept {
  static Control c;
  return c;
}

}  // namespace ftmpi
