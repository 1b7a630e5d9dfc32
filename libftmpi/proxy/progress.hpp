// How a rank proxy carries out the application's blocking MPI calls: never by blocking
// inside MPI, but as non-blocking calls completed by a loop that keeps polling for
// control requests (a checkpoint's quiesce, see docs/transparent.md).  A call still in
// that loop when a checkpoint is taken can be carried out again from scratch after a
// restart: the application only learns of it from the reply.
//
// Blocking collectives (and the collectives that create communicators) first pass an
// MPI_Ibarrier on their communicator, polled the same way; once every member has
// passed it, all of them are inside the real collective, which then completes without
// waiting for anyone.  So a checkpoint never has to wait for a rank that has not
// reached a collective yet, and never finds one half done.
//
// Receives and probes are served from the drain queue first (proxy/quiesce.hpp), and
// every message sent and received is counted for the quiesce.
//
// Each function has the signature of the MPI call it stands for and takes virtual
// handles (it calls libftmpi's own wrappers).
#pragma once

#include <mpi.h>

// Functions named after the MPI call they stand for (NAME_MPI_Call).
// NOLINTBEGIN(readability-identifier-naming)
namespace ftmpi {

// Called from every polling loop; returns at once unless a control request is pending.
void proxy_poll() noexcept;

// What the call being carried out has done that other ranks can see; reset by the proxy
// before each call.  A checkpoint saves enough to carry the call out again after a
// restart without doing it twice:
struct CallProgress {
  bool sent = false;                       // its sends are posted (a restart skips them: delivered)
  bool in_collective = false;              // past the barrier of a collective: no checkpoint now
  MPI_Request barrier = MPI_REQUEST_NULL;  // the barrier it waits in (virtual), if any
  // The receive it waits in (virtual request and arguments as the application gave
  // them): a message it already took is saved with the drained ones.
  MPI_Request receive = MPI_REQUEST_NULL;
  void* buf = nullptr;
  int count = 0;
  MPI_Datatype type = MPI_DATATYPE_NULL;
  MPI_Comm comm = MPI_COMM_NULL;
};
CallProgress& call_progress() noexcept;
// After a restart, the first call carried out again posts no sends (set from the state).
bool& skip_sends_once() noexcept;

// The first phase of a blocking collective on `comm`.
int enter_collective(MPI_Comm comm);

// A barrier on `comm` (a real communicator: ftmpi's own) that sleeps between its tests
// instead of busy-waiting as MPI's blocking calls do: for the proxies that wait while
// others run CRIU (a dump, a restore), which must not share the cores with spinners.
// Answers no control request meanwhile.
void barrier_without_spinning(MPI_Comm comm) noexcept;

// The rank proxy's ftmpi::blocking_call hook (set when MPI runs with
// MPI_THREAD_MULTIPLE): the call runs on a thread of its own while this one keeps
// polling, so a proxy inside a communicator constructor still answers a quiesce (which
// defers the checkpoint: a collective is under way) instead of making the others wait
// for it in the drain while it waits for them.
int run_beside_polling(int (*call)(void*), void* context) noexcept;

int progressive_MPI_Send(const void* buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm);
int progressive_MPI_Ssend(const void* buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm);
int progressive_MPI_Rsend(const void* buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm);
int progressive_MPI_Recv(void* buf, int count, MPI_Datatype type, int source, int tag,
                         MPI_Comm comm, MPI_Status* status);
int progressive_MPI_Irecv(void* buf, int count, MPI_Datatype type, int source, int tag,
                          MPI_Comm comm, MPI_Request* request);
int progressive_MPI_Iprobe(int source, int tag, MPI_Comm comm, int* flag, MPI_Status* status);
int progressive_MPI_Improbe(int source, int tag, MPI_Comm comm, int* flag, MPI_Message* message,
                            MPI_Status* status);
int progressive_MPI_Sendrecv(const void* sendbuf, int sendcount, MPI_Datatype sendtype, int dest,
                             int sendtag, void* recvbuf, int recvcount, MPI_Datatype recvtype,
                             int source, int recvtag, MPI_Comm comm, MPI_Status* status);
int progressive_MPI_Sendrecv_replace(void* buf, int count, MPI_Datatype type, int dest, int sendtag,
                                     int source, int recvtag, MPI_Comm comm, MPI_Status* status);
int progressive_MPI_Mrecv(void* buf, int count, MPI_Datatype type, MPI_Message* message,
                          MPI_Status* status);
int progressive_MPI_Imrecv(void* buf, int count, MPI_Datatype type, MPI_Message* message,
                           MPI_Request* request);
int progressive_MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status* status);
int progressive_MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message* message,
                           MPI_Status* status);
int progressive_MPI_Wait(MPI_Request* request, MPI_Status* status);
int progressive_MPI_Waitall(int count, MPI_Request requests[], MPI_Status statuses[]);
int progressive_MPI_Waitany(int count, MPI_Request requests[], int* index, MPI_Status* status);
int progressive_MPI_Waitsome(int incount, MPI_Request requests[], int* outcount, int indices[],
                             MPI_Status statuses[]);
int progressive_MPI_Barrier(MPI_Comm comm);
// Persistent requests: a start a drained message already served is not started in MPI.
int progressive_MPI_Start(MPI_Request* request);
int progressive_MPI_Startall(int count, MPI_Request requests[]);

// NOLINTEND(readability-identifier-naming)
}  // namespace ftmpi
