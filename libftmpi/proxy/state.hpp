// What a rank proxy saves beside its application's CRIU images, and a new proxy reads
// back at a restart: the creation log (replayed to rebuild every handle), the old
// proxy's table of MPI's predefined objects (to translate the handles in it), the
// messages the quiesce drained (served first after the restart), the requests the
// application holds, and how far it got with MPI.  Boost.Serialization, binary,
// versioned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpi/creation_log.hpp"
#include "util/status.hpp"

namespace ftmpi {

// Version 2 added the requests (version 1 states are read as holding none); version 3
// the application's process, its keeper and its node (for a migration's re-attach);
// version 4 the messages a matched probe took for the application; version 5 the thread
// level the application was given (older states: MPI_THREAD_SINGLE).
inline constexpr std::uint32_t k_proxy_state_version = 5;
inline constexpr const char* k_proxy_state_file = "proxy.state";

struct SavedMessage {
  std::uint64_t comm = 0;  // as the application names it (old proxy's predefined address)
  int source = 0;
  int tag = 0;
  std::vector<char> packed;
  std::uint64_t handle = 0;  // matched: the MPI_Message the application holds for it
};

// A request the application held at the checkpoint, under its virtual handle.
struct SavedRequest {
  enum class Kind : std::uint8_t {
    completed = 0,  // complete in MPI (its data already in the application): the handle
                    // stands for a request that reports `status`
    remade = 1,     // made again by the call that made it: a receive no message matched
                    // yet, or an inactive persistent request
  };
  Kind kind = Kind::completed;
  std::uint64_t handle = 0;          // the virtual handle the application holds
  std::uint16_t call = 0;            // remade: the call (MPI_Irecv, MPI_Send_init, ...)
  std::vector<std::uint64_t> words;  // remade: its arguments as the application passed them
  std::vector<char> status;          // completed: the MPI_Status, as bytes
};

struct ProxyState {
  std::uint32_t version = k_proxy_state_version;
  std::uint64_t epoch = 0;
  int rank = 0;
  std::vector<std::uint64_t> predefined;
  std::vector<LogRecord> log;
  std::vector<SavedMessage> drained;
  std::vector<SavedMessage> matched;  // taken by MPI_Mprobe/MPI_Improbe, not received yet
  std::vector<std::string> stdio;     // the application's descriptors 0-2 ("pipe:[N]")
  bool call_sent = false;             // the call in progress had posted its sends (delivered)
  // Regular files the application had open for writing, with their sizes at the
  // checkpoint: a restart cuts them back to that size (what was written after the
  // checkpoint is written again by the restarted program).
  std::vector<std::string> file_paths;
  std::vector<std::uint64_t> file_sizes;
  bool app_initialized = false;
  bool app_finalized = false;
  std::int32_t app_thread_level = 0;   // MPI_THREAD_SINGLE, or what MPI_Init_thread gave
  std::vector<SavedRequest> requests;  // in the order the application made them
  // Where the application process lives (a migration leaves it running there for the
  // next proxy): its PID, its keeper's, the node's name.
  std::int32_t app_pid = 0;
  std::int32_t keeper_pid = 0;
  std::string node;
};

Status save_proxy_state(const std::string& path, const ProxyState& state);
Result<ProxyState> load_proxy_state(const std::string& path);

}  // namespace ftmpi
