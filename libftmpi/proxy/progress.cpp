#include "proxy/progress.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "mpi/handles.hpp"
#include "proxy/quiesce.hpp"

// Functions named after the MPI call they stand for (NAME_MPI_Call).
// NOLINTBEGIN(readability-identifier-naming,clang-analyzer-optin.mpi.MPI-Checker)
namespace ftmpi {
namespace {

// Polls between tests; yields the core now and then (other ranks may share it).
class Poller {
 public:
  void operator()() noexcept {
    proxy_poll();
    if ((++m_rounds & 63U) == 0) {
      ::sched_yield();
    }
  }

 private:
  unsigned m_rounds = 0;
};

// Completes one request by testing; `status` may be MPI_STATUS_IGNORE.
int wait_one(MPI_Request* request, MPI_Status* status) {
  Poller poll;
  for (;;) {
    int done = 0;
    const int rc = MPI_Test(request, &done, status);
    if (rc != MPI_SUCCESS || done != 0) {
      return rc;
    }
    poll();
  }
}

// Posts a receive the quiesce knows about, or takes a drained message for it.
struct Receive {
  MPI_Request request = MPI_REQUEST_NULL;
  std::optional<DrainedMessage> drained;

  int post(void* buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm) {
    drained = drain_queue().take(comm, source, tag);
    if (drained) {
      return MPI_SUCCESS;
    }
    const int rc = MPI_Irecv(buf, count, type, source, tag, comm, &request);
    if (rc == MPI_SUCCESS) {
      traffic().recv_posted(request, to_real(comm));
      CallProgress& p = call_progress();
      p.receive = request;
      p.buf = buf;
      p.count = count;
      p.type = type;
      p.comm = comm;
    }
    return rc;
  }
  ~Receive() { call_progress().receive = MPI_REQUEST_NULL; }
  Receive() = default;
  Receive(const Receive&) = delete;
  Receive& operator=(const Receive&) = delete;
  Receive(Receive&&) = delete;
  Receive& operator=(Receive&&) = delete;
};

int wait_all(int count, MPI_Request* requests, MPI_Status* statuses) {
  Poller poll;
  for (;;) {
    int done = 0;
    const int rc = MPI_Testall(count, requests, &done, statuses);
    if (rc != MPI_SUCCESS || done != 0) {
      return rc;
    }
    poll();
  }
}

// The error of a pair of operations: the first that failed.
int first_error(int rc, const MPI_Status* statuses) {
  if (rc != MPI_ERR_IN_STATUS) {
    return rc;
  }
  for (int i = 0; i < 2; ++i) {
    if (statuses[i].MPI_ERROR != MPI_SUCCESS) {
      return statuses[i].MPI_ERROR;
    }
  }
  return rc;
}

}  // namespace

CallProgress& call_progress() noexcept {
  static CallProgress progress;
  return progress;
}

bool& skip_sends_once() noexcept {
  static bool skip = false;
  return skip;
}

void proxy_poll() noexcept {
  // Called from the polling loops of blocking calls, where nothing above could catch: a
  // checkpoint or migration that fails in a way no status says (no memory) stops the
  // job with a message, as mpirun would on a rank that died.
  try {
    control().poll(false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-proxy: internal error during a checkpoint or migration: %s\n",
                 e.what());
    std::fflush(stderr);
    PMPI_Abort(MPI_COMM_WORLD, 70);
  }
}

int enter_collective(MPI_Comm comm) {
  // A quiesce already asked for is joined before the barrier: once every member passed
  // it no checkpoint can be taken until the collective is over, and a rank that enters
  // while the others wait in the barrier for the quiesce to end would defer it each time.
  control().poll(true);  // not only every k-th time, as in polling loops
  MPI_Request request = MPI_REQUEST_NULL;
  const int rc = MPI_Ibarrier(comm, &request);
  if (rc != MPI_SUCCESS) {
    return rc;
  }
  call_progress().barrier = request;
  const int done = wait_one(&request, MPI_STATUS_IGNORE);
  call_progress().barrier = MPI_REQUEST_NULL;
  return done;
}

void barrier_without_spinning(MPI_Comm comm) noexcept {
  MPI_Request request = MPI_REQUEST_NULL;
  if (PMPI_Ibarrier(comm, &request) != MPI_SUCCESS) {
    return;
  }
  // 50 us at first, doubled up to 1 ms: a wait of milliseconds costs a few dozen
  // wake-ups, and the barrier is noticed at most 1 ms late.
  std::chrono::microseconds pause(50);
  for (int done = 0; PMPI_Test(&request, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done == 0;) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(1000));
  }
}

int run_beside_polling(int (*call)(void*), void* context) noexcept {
  CallProgress& progress = call_progress();
  const bool was_in_collective = progress.in_collective;
  progress.in_collective = true;  // no checkpoint while a member may be inside
  int rc = MPI_ERR_INTERN;
  std::atomic<bool> done{false};
  try {
    std::thread worker([&rc, &done, call, context] {
      rc = call(context);
      done.store(true, std::memory_order_release);
    });
    Poller poll;
    while (!done.load(std::memory_order_acquire)) {
      poll();
      std::this_thread::yield();
    }
    worker.join();
  } catch (const std::system_error&) {  // no thread to be had: blocking, as it is
    rc = call(context);
  }
  progress.in_collective = was_in_collective;
  return rc;
}

namespace {

using StartSend = int (*)(const void*, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request*);

int post_send(StartSend start, const void* buf, int count, MPI_Datatype type, int dest, int tag,
              MPI_Comm comm, MPI_Request* request) {
  if (skip_sends_once()) {
    // Carried out again after a restart: this send was delivered before the checkpoint.
    *request = MPI_REQUEST_NULL;
    return MPI_SUCCESS;
  }
  const int rc = start(buf, count, type, dest, tag, comm, request);
  if (rc == MPI_SUCCESS) {
    traffic().sent(to_real(comm), dest);
    call_progress().sent = true;
  }
  return rc;
}

int send_with(StartSend start, const void* buf, int count, MPI_Datatype type, int dest, int tag,
              MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  const int rc = post_send(start, buf, count, type, dest, tag, comm, &request);
  return rc != MPI_SUCCESS ? rc : wait_one(&request, MPI_STATUS_IGNORE);
}

}  // namespace

int progressive_MPI_Send(const void* buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm) {
  return send_with(&MPI_Isend, buf, count, type, dest, tag, comm);
}

int progressive_MPI_Ssend(const void* buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm) {
  return send_with(&MPI_Issend, buf, count, type, dest, tag, comm);
}

int progressive_MPI_Rsend(const void* buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm) {
  return send_with(&MPI_Irsend, buf, count, type, dest, tag, comm);
}

int progressive_MPI_Recv(void* buf, int count, MPI_Datatype type, int source, int tag,
                         MPI_Comm comm, MPI_Status* status) {
  Receive receive;
  int rc = receive.post(buf, count, type, source, tag, comm);
  if (rc != MPI_SUCCESS || receive.drained) {
    return rc != MPI_SUCCESS ? rc : deliver_drained(*receive.drained, buf, count, type, status);
  }
  MPI_Status local{};
  MPI_Status* st = status == MPI_STATUS_IGNORE ? &local : status;
  const MPI_Request posted = receive.request;
  rc = wait_one(&receive.request, st);
  traffic().recv_completed(posted, st, true);
  return rc;
}

int progressive_MPI_Irecv(void* buf, int count, MPI_Datatype type, int source, int tag,
                          MPI_Comm comm, MPI_Request* request) {
  if (auto drained = drain_queue().take(comm, source, tag)) {
    // Already here: a request that is complete from the start.
    MPI_Status status{};
    const int rc = deliver_drained(*drained, buf, count, type, &status);
    status.MPI_ERROR = rc;
    *request = adopt(completed_request(status));
    return MPI_SUCCESS;
  }
  const int rc = MPI_Irecv(buf, count, type, source, tag, comm, request);
  if (rc == MPI_SUCCESS) {
    traffic().recv_posted(*request, to_real(comm));
  }
  return rc;
}

int progressive_MPI_Sendrecv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, int dest,
                             int sendtag, void* recvbuf, int recvcount, MPI_Datatype recvtype,
                             int source, int recvtag, MPI_Comm comm, MPI_Status* status) {
  Receive receive;
  int rc = receive.post(recvbuf, recvcount, recvtype, source, recvtag, comm);
  if (rc != MPI_SUCCESS) {
    return rc;
  }
  MPI_Request requests[2] = {receive.request, MPI_REQUEST_NULL};
  rc = post_send(&MPI_Isend, sendbuf, sendcount, sendtype, dest, sendtag, comm, &requests[1]);
  if (rc != MPI_SUCCESS) {
    if (!receive.drained) {
      MPI_Cancel(&requests[0]);
      MPI_Request_free(&requests[0]);
    }
    return rc;
  }
  MPI_Status statuses[2];
  rc = first_error(wait_all(2, requests, statuses), statuses);
  if (receive.drained) {
    const int got = deliver_drained(*receive.drained, recvbuf, recvcount, recvtype, &statuses[0]);
    rc = rc != MPI_SUCCESS ? rc : got;
  } else {
    traffic().recv_completed(receive.request, &statuses[0], true);
  }
  if (status != MPI_STATUS_IGNORE) {
    *status = statuses[0];
  }
  return rc;
}

int progressive_MPI_Sendrecv_replace(void* buf, int count, MPI_Datatype type, int dest, int sendtag,
                                     int source, int recvtag, MPI_Comm comm, MPI_Status* status) {
  // Receive into a copy of the buffer's span (so gaps keep their values), then copy back.
  MPI_Aint true_lb = 0;
  MPI_Aint true_extent = 0;
  MPI_Aint lb = 0;
  MPI_Aint extent = 0;
  MPI_Type_get_true_extent(type, &true_lb, &true_extent);
  MPI_Type_get_extent(type, &lb, &extent);
  const MPI_Aint span = count > 0 ? (count - 1) * extent + true_extent : 0;
  std::vector<std::byte> copy(static_cast<std::size_t>(span > 0 ? span : 0));
  auto* first = static_cast<std::byte*>(buf) + true_lb;
  if (span > 0) {
    std::memcpy(copy.data(), first, copy.size());
  }
  void* target = copy.data() - true_lb;
  const int rc = progressive_MPI_Sendrecv(buf, count, type, dest, sendtag, target, count, type,
                                          source, recvtag, comm, status);
  if (rc == MPI_SUCCESS && span > 0) {
    std::memcpy(first, copy.data(), copy.size());
  }
  return rc;
}

int progressive_MPI_Mrecv(void* buf, int count, MPI_Datatype type, MPI_Message* message,
                          MPI_Status* status) {
  if (auto held = matched_messages().take(*message)) {
    *message = MPI_MESSAGE_NULL;
    return deliver_drained(*held, buf, count, type, status);
  }
  MPI_Request request = MPI_REQUEST_NULL;
  const int rc = MPI_Imrecv(buf, count, type, message, &request);
  return rc != MPI_SUCCESS ? rc : wait_one(&request, status);
}

int progressive_MPI_Imrecv(void* buf, int count, MPI_Datatype type, MPI_Message* message,
                           MPI_Request* request) {
  if (auto held = matched_messages().take(*message)) {
    *message = MPI_MESSAGE_NULL;
    MPI_Status status{};
    status.MPI_ERROR = deliver_drained(*held, buf, count, type, &status);
    *request = adopt(completed_request(status));
    return MPI_SUCCESS;
  }
  return MPI_Imrecv(buf, count, type, message, request);  // MPI_MESSAGE_NO_PROC
}

int progressive_MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status* status) {
  Poller poll;
  for (;;) {
    int found = 0;
    const int rc = progressive_MPI_Iprobe(source, tag, comm, &found, status);
    if (rc != MPI_SUCCESS || found != 0) {
      return rc;
    }
    poll();
  }
}

int progressive_MPI_Iprobe(int source, int tag, MPI_Comm comm, int* flag, MPI_Status* status) {
  if (const DrainedMessage* drained = drain_queue().find(comm, source, tag)) {
    *flag = 1;
    drained_status(*drained, status);
    return MPI_SUCCESS;
  }
  return MPI_Iprobe(source, tag, comm, flag, status);
}

int progressive_MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message* message,
                           MPI_Status* status) {
  Poller poll;
  for (;;) {
    int found = 0;
    const int rc = progressive_MPI_Improbe(source, tag, comm, &found, message, status);
    if (rc != MPI_SUCCESS || found != 0) {
      return rc;
    }
    poll();
  }
}

int progressive_MPI_Improbe(int source, int tag, MPI_Comm comm, int* flag, MPI_Message* message,
                            MPI_Status* status) {
  if (source == MPI_PROC_NULL) {
    return MPI_Improbe(source, tag, comm, flag, message, status);  // MPI_MESSAGE_NO_PROC
  }
  // A drained message first (it is older than anything still in MPI), else one MPI
  // matches, received at once: either way held under a handle of ours.
  if (auto drained = drain_queue().take(comm, source, tag)) {
    *flag = 1;
    drained_status(*drained, status);
    *message = matched_messages().hold(std::move(*drained));
    return MPI_SUCCESS;
  }
  MPI_Status local{};
  MPI_Status* st = status == MPI_STATUS_IGNORE ? &local : status;
  MPI_Message real = MPI_MESSAGE_NULL;
  const int rc = PMPI_Improbe(source, tag, to_real(comm), flag, &real, st);
  if (rc == MPI_SUCCESS && *flag != 0) {
    *message = matched_messages().hold(receive_matched(comm, &real, *st));
  }
  return rc;
}

int progressive_MPI_Wait(MPI_Request* request, MPI_Status* status) {
  return wait_one(request, status);
}

int progressive_MPI_Waitall(int count, MPI_Request requests[], MPI_Status statuses[]) {
  return wait_all(count, requests, statuses);
}

int progressive_MPI_Waitany(int count, MPI_Request requests[], int* index, MPI_Status* status) {
  Poller poll;
  for (;;) {
    int done = 0;
    const int rc = MPI_Testany(count, requests, index, &done, status);
    if (rc != MPI_SUCCESS || done != 0) {
      return rc;
    }
    poll();
  }
}

int progressive_MPI_Waitsome(int incount, MPI_Request requests[], int* outcount, int indices[],
                             MPI_Status statuses[]) {
  Poller poll;
  for (;;) {
    const int rc = MPI_Testsome(incount, requests, outcount, indices, statuses);
    if (rc != MPI_SUCCESS || *outcount != 0) {
      return rc;
    }
    poll();
  }
}

int progressive_MPI_Start(MPI_Request* request) {
  return traffic().take_served(*request) ? MPI_SUCCESS : MPI_Start(request);
}

int progressive_MPI_Startall(int count, MPI_Request requests[]) {
  for (int i = 0; i < count; ++i) {
    if (const int rc = progressive_MPI_Start(&requests[i]); rc != MPI_SUCCESS) {
      return rc;
    }
  }
  return MPI_SUCCESS;
}

int progressive_MPI_Barrier(MPI_Comm comm) {
  return enter_collective(comm);
}

// NOLINTEND(readability-identifier-naming,clang-analyzer-optin.mpi.MPI-Checker)
}  // namespace ftmpi
