// The quiesce of transparent mode: bringing every rank proxy of a job to a point where
// no application message is inside MPI, so that the application processes can be
// checkpointed (docs/transparent.md, "Quiesce").
//
// - Traffic counts, per peer, the messages this rank posted for sending and the ones it
//   took out of MPI (a completed receive, a matched probe, a drained message).
// - At a quiesce every proxy learns from the others how many messages they sent it and
//   drains the rest: each message still inside MPI is received (as MPI_PACKED) into the
//   drain queue.  Receives posted by the application are left to MPI; their completion
//   counts.  Later receives and probes are served from the drain queue first.
// - Control carries the requests: any proxy (its application called
//   ftmpi_checkpoint()) asks proxy 0, proxy 0 (on a request or its --ckpt-interval
//   timer) tells all to quiesce; proxies look for that in every polling loop and, when
//   idle, every 100 ms.
//
// All of it runs on the proxy's one thread and uses PMPI on ftmpi's own communicator.
#pragma once

#include <mpi.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ckpt/criu.hpp"
#include "proxy/state.hpp"

namespace ftmpi {

class Traffic {
 public:
  // A message to `dest` (a rank of real communicator `comm`) was posted.
  void sent(MPI_Comm comm, int dest);
  // A receive (virtual request) was posted on real communicator `comm`.
  void recv_posted(MPI_Request request, MPI_Comm comm);
  // A receive request completed (a wait or test, or a drain noticed it); counted once.
  // `forget`: the request is gone (else, persistent or only observed, it stays known).
  void recv_completed(MPI_Request request, const MPI_Status* status, bool forget);
  // A communicator was freed: forget its ranks (a new one may get its address).
  void forget_comm(MPI_Comm comm) { m_ranks.erase(comm); }
  // A message was taken out of MPI by a probe that matched it, or by the drain.
  void received(MPI_Comm comm, int source);
  // Observes the receives still pending (MPI_Request_get_status): completed ones count.
  void observe_pending();
  // A request made again at a restart: `made` is now known as `old`.
  void rename(MPI_Request made, MPI_Request old);
  // A persistent request's start that a drained message served (MPI_Start must skip it).
  void served_from_drain(MPI_Request request);
  // True (once) if `request`'s current start was served from the drain queue.
  bool take_served(MPI_Request request);

  [[nodiscard]] const std::vector<std::int64_t>& sent_to() const noexcept { return m_sent; }
  [[nodiscard]] const std::vector<std::int64_t>& received_from() const noexcept {
    return m_received;
  }
  void set_ranks(int ranks);

 private:
  struct PendingRecv {
    MPI_Comm comm;
    bool counted;
  };
  // The application-world rank of rank `rank` of real communicator `comm` (its remote
  // group for an intercommunicator); -1 for MPI_PROC_NULL and the like.
  int world_rank(MPI_Comm comm, int rank);

  std::vector<std::int64_t> m_sent;
  std::vector<std::int64_t> m_received;
  std::unordered_map<std::uintptr_t, PendingRecv> m_recvs;
  std::unordered_map<MPI_Comm, std::vector<int>> m_ranks;
  std::vector<std::uintptr_t> m_served;
  MPI_Group m_world_group = MPI_GROUP_NULL;
};

// A message the drain took out of MPI: the communicator as the application names it
// (a virtual handle, or a predefined one), its envelope and its data as MPI_PACKED.
struct DrainedMessage {
  MPI_Comm comm = MPI_COMM_NULL;
  int source = 0;
  int tag = 0;
  std::vector<std::byte> packed;
};

struct SavedMessage;

class DrainQueue {
 public:
  // For a checkpoint, and back after a restart (`translate` maps the old proxy's
  // predefined communicator addresses to this one's).
  [[nodiscard]] std::vector<SavedMessage> saved() const;
  void restore(const std::vector<SavedMessage>& messages,
               const std::function<std::uint64_t(std::uint64_t)>& translate);
  void push(DrainedMessage message) { m_messages.push_back(std::move(message)); }
  // The oldest message matching a receive's envelope (MPI_ANY_SOURCE / MPI_ANY_TAG
  // understood), removed, or none.
  std::optional<DrainedMessage> take(MPI_Comm comm, int source, int tag);
  // The same without removing it (a probe).
  [[nodiscard]] const DrainedMessage* find(MPI_Comm comm, int source, int tag) const;
  [[nodiscard]] bool empty() const noexcept { return m_messages.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return m_messages.size(); }

 private:
  std::deque<DrainedMessage> m_messages;
};

// Messages a matched probe (MPI_Mprobe, MPI_Improbe) took for the application, each
// under the MPI_Message handle the application holds, until MPI_Mrecv or MPI_Imrecv
// receives it.  Taken out of MPI at once (no real MPI_Message outlives the call), so a
// quiesce finds nothing of them in MPI and a checkpoint saves them with the handles.
class MatchedMessages {
 public:
  // A new (virtual) handle for `message`.
  MPI_Message hold(DrainedMessage message);
  // The message behind `handle`, removed and its handle released; none if it is not one
  // of these (MPI_MESSAGE_NO_PROC).
  std::optional<DrainedMessage> take(MPI_Message handle);
  [[nodiscard]] std::vector<SavedMessage> saved() const;
  void restore(const std::vector<SavedMessage>& messages,
               const std::function<std::uint64_t(std::uint64_t)>& translate);
  [[nodiscard]] std::size_t size() const noexcept { return m_held.size(); }

 private:
  std::map<std::uintptr_t, DrainedMessage> m_held;
};

// A message MPI matched for a probe (`real`, with `status`), received into a drained
// message of the application's communicator `comm`.
DrainedMessage receive_matched(MPI_Comm comm, MPI_Message* real, const MPI_Status& status);

// Copies a drained message into a receive buffer (virtual datatype and communicator)
// and fills `status` (may be MPI_STATUS_IGNORE) as a receive of it would.
int deliver_drained(const DrainedMessage& message, void* buf, int count, MPI_Datatype type,
                    MPI_Status* status);
// A status describing `message` as a probe would.
void drained_status(const DrainedMessage& message, MPI_Status* status);
// A (real, generalized) request that is complete from the start and reports `status`.
MPI_Request completed_request(const MPI_Status& status);

// What proxy 0 tells every proxy when it starts a quiesce: a checkpoint, or the
// migration of the ranks on node `from` to node `to` (docs/migration.md).
struct QuiesceOrder {
  enum Kind : std::uint32_t { checkpoint = 0, migration = 1 };
  std::uint64_t epoch = 0;
  std::uint32_t kind = checkpoint;
  double requested = 0;  // a migration: when it was asked for (wall clock)
  char from[64] = {};
  char to[64] = {};
  char state[64] = {};  // a migration: its state's directory in the checkpoint root
};

// This proxy's node: FTMPI_NODE on a simulated cluster, else the host name.
std::string node_name();

class Control {
 public:
  // After MPI_Init: the proxy's own ranks and communicator; the application process
  // and its channel file; FTMPI_CKPT_DIR (where checkpoints go; none: a quiesce only),
  // FTMPI_CKPT_KEEP (default 2), FTMPI_CKPT_INTERVAL (seconds; proxy 0's timer).
  void start(pid_t app, pid_t keeper, std::string channel);
  void stop();
  // A migration: this proxy leaves with the others, right after the state is written.
  void leave();
  // From every polling loop and the idle proxy: handles control messages, cheaply
  // (it really looks only every so many calls).
  void poll(bool idle);
  // The application asked for a checkpoint: returns when one that started after the
  // request has completed.
  int checkpoint_and_wait();
  // The proxy's answer to "does the application hold requests a restart cannot bring
  // back" (set by the proxy, which owns them).
  // How a checkpoint gets the application's requests (or why it must wait).
  void set_request_saver(std::function<Result<std::vector<SavedRequest>>()> saver) {
    m_save_requests = std::move(saver);
  }
  // Called once a migration's state is complete (`moved`: this rank's application was
  // dumped to move): the proxy leaves its application to the next one and exits.
  void set_migration_leaver(std::function<void(bool moved)> leave) { m_leave = std::move(leave); }
  // A restarted job: checkpoints go on from `epoch`.
  void restored(std::uint64_t epoch) { m_completed = epoch; }
  // ftmpi_checkpoint(): whether the last checkpoint was written.
  [[nodiscard]] bool last_written() const noexcept { return m_last_written; }

 private:
  void look();
  // Joins the quiesce `order`: first an agreement (a non-blocking barrier on the control
  // communicator), then the drain and the checkpoint.  A proxy whose own collective's
  // entry barrier completes before all agreed puts the quiesce aside (another member
  // may already be in that collective, where no control message reaches it) and takes
  // it up again at its next look, after the collective.
  void quiesce(const QuiesceOrder& order);
  void resume_quiesce();
  // True once every proxy joined the quiesce; false if this proxy must first go on
  // with a collective that its entry barrier let it into.
  bool agree();
  // Inside a collective, or every member passed its entry barrier: no checkpoint now.
  static bool collective_under_way();
  void complete_quiesce(const QuiesceOrder& order);
  void drain();
  // After the drain: every application process dumped (left running), the manifest
  // written by proxy 0, older checkpoints pruned.  False if it failed anywhere.
  // A migration (`migration` not null) writes the same into a migration state
  // (migration-NNNNNN), dumping only the moving ranks' applications (not left running).
  bool write_checkpoint(std::uint64_t epoch, double quiesce_ms, std::uint64_t start_ns,
                        const QuiesceOrder* migration);
  Status save_state(std::uint64_t epoch, const std::string& path) const;
  // Proxy 0: ftmpi-ctl's requests (files in the checkpoint directory).
  void look_for_requests();

  MPI_Comm m_comm = MPI_COMM_NULL;
  // The barrier of stop() alone: a proxy already in it may still be ordered to quiesce,
  // and the quiesce's collectives on m_comm must match those of proxies not yet there.
  MPI_Comm m_stop_comm = MPI_COMM_NULL;
  int m_rank = -1;
  int m_size = 0;
  bool m_requested = false;   // proxy 0: a checkpoint is due (timer, ftmpi-ctl)
  bool m_waited_for = false;  // proxy 0: a rank waits for a checkpoint (ftmpi_checkpoint)
  bool m_in_quiesce = false;
  // The quiesce's agreement; still pending between looks: the quiesce was put aside.
  MPI_Request m_agreement = MPI_REQUEST_NULL;
  QuiesceOrder m_order;               // the quiesce joined
  std::uint64_t m_quiesce_start = 0;  // monotonic ns
  bool m_stopping = false;            // in stop(): no timed checkpoints any more
  std::uint64_t m_completed = 0;
  unsigned m_calls = 0;
  double m_interval = 0;           // seconds; 0: no timer
  double m_last = 0;               // wall time of the last checkpoint (or the start)
  double m_last_request_look = 0;  // when the request file was last looked for
  std::size_t m_drained = 0;       // by the last quiesce
  pid_t m_app = 0;
  pid_t m_keeper = 0;
  QuiesceOrder m_migration;           // proxy 0: a migration asked for (from[0] != 0)
  double m_migration_give_up_at = 0;  // wall clock
  std::function<void(bool)> m_leave;
  std::string m_channel;
  std::string m_root;  // checkpoint directory; "" for none
  int m_keep = 2;
  std::unique_ptr<Criu> m_criu;
  std::function<Result<std::vector<SavedRequest>>()> m_save_requests;
  std::vector<SavedRequest> m_saved_requests;  // for the checkpoint being written
  bool m_last_written = true;
  int m_ctl_retries = 0;                  // ftmpi-ctl's request, tried again while deferred
  std::vector<std::string> m_stdio_keys;  // the application's fds 0-2 ("pipe:[N]")
};

Traffic& traffic() noexcept;
DrainQueue& drain_queue() noexcept;
MatchedMessages& matched_messages() noexcept;
Control& control() noexcept;

}  // namespace ftmpi
