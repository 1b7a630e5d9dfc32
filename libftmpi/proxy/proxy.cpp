#include "proxy/proxy.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <mpi.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "channel/channel.hpp"
#include "ckpt/criu.hpp"
#include "ckpt/manifest.hpp"
#include "ftmpi/version.h"
#include "mpi/call_helpers.hpp"
#include "mpi/call_stats.hpp"
#include "mpi/mpi_calls.hpp"
#include "mpi/mpi_library.hpp"
#include "mpi/runtime.hpp"
#include "proxy/custom_exec.hpp"
#include "proxy/exec.hpp"
#include "proxy/precopy.hpp"
#include "proxy/progress.hpp"
#include "proxy/quiesce.hpp"
#include "proxy/replay.hpp"
#include "proxy/state.hpp"
#include "util/clock.hpp"
#include "util/env.hpp"
#include "util/files.hpp"
#include "util/job_dir.hpp"
#include "util/job_env.hpp"
#include "util/log.hpp"
#include "util/spawn.hpp"

namespace ftmpi {
namespace {

constexpr const char* k_usage =
    "usage: ftmpi-proxy [--] PROGRAM [ARGS...]\n"
    "       ftmpi-proxy --restore CHECKPOINT [-- PROGRAM...]\n"
    "       ftmpi-proxy --await-migration STATE [-- PROGRAM...]\n";
constexpr std::uint64_t k_idle_wake_ns = 10'000'000;  // check the application, control, samples

std::atomic<pid_t> g_child{0};
char g_channel_file[4096];  // for the signal handler

// SIGTERM/SIGINT/SIGHUP from mpirun (the job is being torn down): the application goes
// with us.  A PID-namespace init ignores SIGTERM, hence SIGKILL.
void on_terminate(int sig) {
  const pid_t child = g_child.load();
  if (child > 0) {
    ::kill(child, SIGKILL);
  }
  if (g_channel_file[0] != '\0') {
    ::unlink(g_channel_file);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

JobDirHold g_job_dir;  // the job's directory of channels on this node, while it is used

// Makes and holds the directory a channel goes in (ftmpi-launch makes one per job; on
// another node, or for a restored channel, it may not exist yet), then removes the stale
// job directories beside it that jobs killed with SIGKILL left (never the one held).
Status hold_channel_dir(const std::string& channel) {
  const auto slash = channel.rfind('/');
  if (slash == std::string::npos || slash == 0) {
    return {};
  }
  const std::string dir = channel.substr(0, slash);
  const auto parent_end = dir.rfind('/');
  if (parent_end == std::string::npos ||
      !is_job_dir_name(std::string_view(dir).substr(parent_end + 1))) {
    ::mkdir(dir.c_str(), 0700);  // a directory of the user's (FTMPI_CHANNEL_DIR)
    return {};
  }
  if (g_job_dir.held() && g_job_dir.dir() == dir) {
    return {};
  }
  auto held = hold_job_dir(dir);
  if (!held.ok()) {
    return held.status();
  }
  g_job_dir = std::move(held).value();
  sweep_stale_job_dirs(parent_end == 0 ? "/" : dir.substr(0, parent_end));
  return {};
}

// The channel's path (its directory is held by hold_channel_dir).
std::string channel_path() {
  const std::string dir = env_or(k_env_channel_dir, "/dev/shm");
  const std::string pid = std::to_string(::getpid());
  const std::string job = env_or("OMPI_MCA_ess_base_jobid", ("p" + pid).c_str());
  const std::string rank = env_or("OMPI_COMM_WORLD_RANK", pid.c_str());
  return fmt::format("{}/ftmpi-{}-{}.channel", dir, job, rank);
}

// Removes the channel file and, if this was the last proxy using it, the job's
// directory of channels.
void remove_channel_file(const std::string& path) {
  ::unlink(path.c_str());
  g_channel_file[0] = '\0';
  g_job_dir.release_and_remove_if_unheld();
}

// This library's own file: what the application preloads.
std::string own_library() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&ftmpi_proxy_main), &info) != 0 &&
      info.dli_fname != nullptr) {
    return info.dli_fname;
  }
  return "libftmpi.so";
}

// libftmpi-arena beside `library` (libftmpi), preloaded first into the application
// unless FTMPI_ARENA=0; "" when it is off or missing (buffers are then copied).
std::string arena_library(const std::string& library) {
  const char* enabled = std::getenv("FTMPI_ARENA");  // NOLINT(concurrency-mt-unsafe)
  if (enabled != nullptr && std::string_view(enabled) == "0") {
    return {};
  }
  const auto slash = library.rfind('/');
  std::string arena = (slash == std::string::npos ? std::string() : library.substr(0, slash + 1)) +
                      "libftmpi-arena.so." + std::to_string(FTMPI_VERSION_MAJOR);
  if (::access(arena.c_str(), R_OK) != 0) {
    logger("proxy")->warn("{} is missing: the application's buffers are copied", arena);
    return {};
  }
  return arena;
}

std::atomic<bool> g_stop_relays{false};

// Copies everything from `from` to `to` until `from` ends (or, at a migration's
// hand-over, until told to stop: what is not read yet stays in the pipe for the next
// proxy); closes `close_after`.
void relay(int from, int to, int close_after) {
  char buffer[65536];
  for (;;) {
    pollfd p{from, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (g_stop_relays.load()) {
      return;
    }
    if (ready == 0 || (ready < 0 && errno == EINTR)) {
      continue;
    }
    const ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(to, buffer + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w <= 0) {
        break;
      }
      done += w;
    }
  }
  if (close_after >= 0) {
    ::close(close_after);
  }
}

// The application's stdin, stdout and stderr are pipes to this process, which relays
// them to its own (a terminal or mpirun's pipes, which CRIU could not dump with the
// application).  A restored application gets new pipes in their place.
class StdioRelay {
 public:
  // Pipes for the child: fds()[i] is what it gets as descriptor i.
  Status open() {
    for (int i = 0; i < 3; ++i) {
      if (::pipe2(m_pipes[i], O_CLOEXEC) != 0) {
        return errno_status("pipe", errno);
      }
    }
    m_child[0] = m_pipes[0][0];
    m_child[1] = m_pipes[1][1];
    m_child[2] = m_pipes[2][1];
    return {};
  }
  // A migration's re-attach: the output pipes of a running application, opened through
  // /proc (its keeper keeps them open meanwhile); each only if it is still the pipe
  // `keys` names.  Its input is not taken over (docs/migration.md, "Limits").
  void attach(pid_t app, const std::vector<std::string>& keys) {
    for (int fd = 1; fd < 3; ++fd) {
      std::error_code ec;
      const std::string link = fmt::format("/proc/{}/fd/{}", app, fd);
      const std::string now = std::filesystem::read_symlink(link, ec).string();
      if (ec || static_cast<std::size_t>(fd) >= keys.size() || now != keys[fd] ||
          now.rfind("pipe:", 0) != 0) {
        continue;
      }
      m_pipes[fd][0] = ::open(link.c_str(), O_RDONLY | O_CLOEXEC);
    }
  }
  [[nodiscard]] const int* child_fds() const noexcept { return m_child; }
  // What the application's keeper keeps open: the read ends of the output pipes.
  [[nodiscard]] std::vector<int> keeper_keeps() const { return {m_pipes[1][0], m_pipes[2][0]}; }
  // After the spawn: close the child's ends here and start relaying.
  void start() {
    for (int i = 0; i < 3; ++i) {
      if (m_child[i] >= 0) {
        ::close(m_child[i]);
      }
    }
    // stdin may never end (a terminal): that thread is left behind at exit.
    if (m_pipes[0][1] >= 0) {
      std::thread(relay, 0, m_pipes[0][1], m_pipes[0][1]).detach();
    }
    if (m_pipes[1][0] >= 0) {
      m_out = std::thread(relay, m_pipes[1][0], 1, m_pipes[1][0]);
    }
    if (m_pipes[2][0] >= 0) {
      m_err = std::thread(relay, m_pipes[2][0], 2, m_pipes[2][0]);
    }
  }
  // A migration's hand-over: stop relaying, leave the rest in the pipes.
  void stop() {
    g_stop_relays.store(true);
    finish();
  }
  // Once the application has exited: its output is all relayed.
  void finish() {
    if (m_out.joinable()) {
      m_out.join();
    }
    if (m_err.joinable()) {
      m_err.join();
    }
  }

 private:
  int m_pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int m_child[3] = {-1, -1, -1};
  std::thread m_out;
  std::thread m_err;
};

struct Served {
  int exit_code = 0;
  bool by_signal = false;
};

// The application process of a rank and its keeper (see start_with_keeper).
struct AppProcess {
  pid_t app = 0;
  pid_t keeper = 0;
  bool own_keeper = true;  // this proxy's child (else adopted at a migration)
};

class Proxy {
 public:
  Proxy(Channel channel, AppProcess app)
      : m_channel(std::move(channel)), m_memory(app.app), m_child(app.app), m_app(app) {}

  // Serves calls until the application exits; returns how it ended.
  Served serve() {
    ChannelLayout& l = m_channel.layout();
    // The last call answered: a call posted before this proxy was ready is still due.
    std::uint32_t seen = l.reply_seq.load(std::memory_order_acquire);
    for (;;) {
      const std::uint32_t seq = m_channel.wait_call(seen, k_idle_wake_ns);
      if (seq == seen) {
        if (mpi_is_live() && !app_mpi_state().finalized) {
          control().poll(true);
        }
        if (g_samples_pending.load(std::memory_order_relaxed) && mpi_is_live()) {
          if (auto* deliver = g_deliver_samples.load(std::memory_order_acquire)) {
            deliver();
          }
        }
        if (auto ended = reap()) {
          return *ended;
        }
        continue;
      }
      execute(l);
      seen = seq;
      m_channel.reply(seq);
      if (!app_mpi_state().finalized) {
        control().poll(false);
      }
    }
  }

  // The application's exit status once it has exited: its keeper puts it in the
  // channel (a keeper gone without a word was killed, and the application with it).
  std::optional<Served> reap() {
    ChannelLayout& l = m_channel.layout();
    int status = 0;
    if (l.app_ended.load(std::memory_order_acquire) == 0 && keeper_alive()) {
      return std::nullopt;
    }
    // Looked at again: the keeper may have written it just before it went.
    if (l.app_ended.load(std::memory_order_acquire) != 0) {
      status = l.app_status.load(std::memory_order_relaxed);
    } else {
      ::kill(m_child, SIGKILL);
      status = SIGKILL;  // a wait status: killed by SIGKILL
    }
    if (m_app.own_keeper) {
      ::waitpid(m_app.keeper, nullptr, 0);
    }
    Served served;
    if (WIFSIGNALED(status)) {
      served.by_signal = true;
      served.exit_code = 128 + WTERMSIG(status);
    } else {
      served.exit_code = WEXITSTATUS(status);
    }
    return served;
  }

  void remove_channel() { remove_channel_file(m_channel.path()); }

  // How the application's buffers reached MPI: in place (its arena) or copied.
  void log_buffers() const {
    logger("proxy")->debug("buffers of the application: {} bytes used in place, {} bytes copied",
                           m_memory.in_place_bytes, m_memory.copied_bytes);
  }

  // A migration's state is complete: the application stays for the next proxy (unless
  // it was dumped to move), this proxy leaves MPI and exits.
  [[noreturn]] void leave_for_migration(bool moved, StdioRelay& stdio) {
    if (!moved) {
      m_channel.layout().handover.store(1, std::memory_order_release);
    }
    g_child.store(0);  // a signal from now on must not kill it
    g_channel_file[0] = '\0';
    precopy().release();  // the next proxy tracks the application's writes
    stdio.stop();
    control().leave();
    if (!moved) {
      m_channel.release_lock();  // the next proxy need not wait for MPI_Finalize
    }
    set_leaving_for_migration();
    MPI_Finalize();
    std::fflush(nullptr);
    ::_exit(0);
  }

  // The application's requests for a checkpoint, in the order they were made; an error
  // (timeout) saying why the state cannot be restarted now (the checkpoint waits).
  // A request complete in MPI has its data written to the application now.
  Result<std::vector<SavedRequest>> save_requests() {
    std::vector<std::pair<std::uint64_t, RequestRecord*>> made;
    for (auto& [bits, record] : m_requests) {
      made.emplace_back(bits, &record);
    }
    std::sort(made.begin(), made.end(),
              [](const auto& a, const auto& b) { return a.second->order < b.second->order; });
    std::vector<SavedRequest> saved;
    Exec x(m_memory, m_handles, m_requests);
    for (const auto& [bits, record] : made) {
      const std::string_view name = call_info(static_cast<CallId>(record->call)).name;
      SavedRequest s;
      s.handle = bits;
      if (record->persistent) {
        if (record->active) {
          return Status(StatusCode::timeout,
                        fmt::format("a persistent request ({}) is active", name));
        }
        s.kind = SavedRequest::Kind::remade;
      } else {
        int done = 0;
        MPI_Status status{};
        PMPI_Request_get_status(to_real(handle_from_bits<MPI_Request>(bits)), &done, &status);
        if (done != 0) {
          x.completed(handle_from_bits<MPI_Request>(bits), true, &status);
          s.kind = SavedRequest::Kind::completed;
          const auto* raw = reinterpret_cast<const char*>(&status);
          s.status.assign(raw, raw + sizeof status);
        } else if (static_cast<CallId>(record->call) == CallId::MPI_Irecv) {
          s.kind = SavedRequest::Kind::remade;
        } else {
          return Status(StatusCode::timeout, fmt::format("a request of {} is pending", name));
        }
      }
      if (s.kind == SavedRequest::Kind::remade) {
        s.call = record->call;
        s.words.assign(record->words.begin(), record->words.end());
      }
      saved.push_back(std::move(s));
    }
    if (!x.finish(true)) {
      return io_error("cannot write completed receives into the application's memory");
    }
    return saved;
  }

  // After a restart: every saved request under the handle the application holds.
  Status restore_requests(const std::vector<SavedRequest>& saved) {
    if (saved.empty()) {
      return {};
    }
    std::string error;
    if (!check_library(m_channel.layout(), error)) {
      return internal_error(error);
    }
    HandleTable& table = handle_table(HandleKind::request);
    for (const SavedRequest& s : saved) {
      if (s.kind == SavedRequest::Kind::completed) {
        MPI_Status status{};
        std::memcpy(&status, s.status.data(), std::min(s.status.size(), sizeof status));
        table.place(s.handle, completed_request(status));
        continue;
      }
      // Made again by its call, with the arguments the application gave it (its memory
      // is as it was); the new handle is captured, not written, and renamed.
      std::array<std::uint64_t, k_call_words> words{};
      std::copy_n(s.words.begin(), std::min(s.words.size(), words.size()), words.begin());
      std::vector<std::uint64_t> made;
      Exec x(m_memory, m_handles, m_requests);
      x.capture_handles(&made);
      std::uint64_t result = 0;
      const int rc = run_call(x, s.call, words.data(), result);
      x.finish(rc == MPI_SUCCESS);
      const std::string_view name = call_info(static_cast<CallId>(s.call)).name;
      if (rc != MPI_SUCCESS || made.size() != 1) {
        return internal_error(fmt::format("cannot make a request of {} again: {}", name,
                                          x.error().empty() ? "MPI error" : x.error()));
      }
      void* real = table.real(made[0]);
      table.release(made[0]);
      table.place(s.handle, real);
      auto record = m_requests.extract(made[0]);
      if (!record.empty()) {
        record.key() = s.handle;
        m_requests.insert(std::move(record));
      }
      traffic().rename(handle_from_bits<MPI_Request>(made[0]),
                       handle_from_bits<MPI_Request>(s.handle));
    }
    logger("proxy")->debug("{} requests of the application restored", saved.size());
    return {};
  }

 private:
  static bool mpi_is_live() {
    int initialized = 0;
    int finalized = 0;
    PMPI_Initialized(&initialized);
    PMPI_Finalized(&finalized);
    return initialized != 0 && finalized == 0;
  }

  // Carries out call `call` of the application with `words`, from its start.
  static int run_call(Exec& x, std::uint16_t call, const std::uint64_t* words,
                      std::uint64_t& result) {
    const ExecutorEntry& entry = executor(call);
    if (entry.run == nullptr) {
      return MPI_ERR_OTHER;
    }
    call_progress() = CallProgress{};
    x.set_call(call, words);
    const int rc = entry.run(x, words, result);
    call_progress() = CallProgress{};
    return rc;
  }

  void execute(ChannelLayout& l) {
    const std::uint16_t call = l.call;
    std::uint64_t result = 0;
    int rc = MPI_ERR_OTHER;
    std::string error;
    const ExecutorEntry& entry = executor(call);
    if (call == k_call_checkpoint) {
      l.result = static_cast<std::uint64_t>(control().checkpoint_and_wait());
      return;
    }
    if (call == k_call_tracker) {
      const bool taken = precopy().adopt(l.tracker_fd);
      l.tracker_wanted.store(taken ? 0 : 2, std::memory_order_relaxed);
      l.result = taken ? 1 : 0;
      return;
    }
    if (call >= k_call_count || entry.run == nullptr) {
      error = fmt::format("call {} cannot be forwarded", call);
    } else if (!check_library(l, error)) {
      // error says why
    } else if (app_mpi_state().finalized && static_cast<CallId>(call) != CallId::MPI_Finalize) {
      error = "called after MPI_Finalize";
    } else {
      Exec x(m_memory, m_handles, m_requests);
      rc = run_call(x, call, l.words, result);
      skip_sends_once() = false;
      error = x.error();
    }
    if (!error.empty()) {
      const std::string_view name =
          call < k_call_count ? call_info(static_cast<CallId>(call)).name : "?";
      logger("proxy")->error("{}: {}", name, error);
      std::snprintf(l.error, sizeof l.error, "%s", error.c_str());
    }
    l.result =
        entry.returns_int ? static_cast<std::uint64_t>(static_cast<std::int64_t>(rc)) : result;
  }

  // The application must load the very libmpi this process does; its predefined
  // handles are mapped to this process's once.
  bool check_library(ChannelLayout& l, std::string& error) {
    if (m_library_checked) {
      return true;
    }
    const AppIdentity& app = l.app;
    static const AppIdentity local = local_mpi_library();
    const Status built = m_handles.build(app, local);
    if (!built.ok()) {
      error = built.message();
      return false;
    }
    m_library_checked = true;
    m_memory.map_arena(app);
    // Writes to the arena tracked, for a migration's pre-copy (ftmpi-launch --precopy):
    // the application hands its tracker over before its next call.
    if (m_memory.arena() != nullptr && std::getenv(k_env_precopy) != nullptr &&  // NOLINT
        precopy().set_arena(m_app.app, app.arena_fd, app.arena_base, m_memory.arena(),
                            app.arena_bytes)) {
      l.tracker_wanted.store(1, std::memory_order_relaxed);
    }
    return true;
  }

  bool keeper_alive() {
    if (m_app.own_keeper) {
      siginfo_t info{};
      return ::waitid(P_PID, static_cast<id_t>(m_app.keeper), &info, WEXITED | WNOHANG | WNOWAIT) ==
                 0 &&
             info.si_pid == 0;
    }
    const char state = proc_state(fmt::format("/proc/{}/stat", m_app.keeper));
    return state != '?' && state != 'Z' && state != 'X';
  }

  Channel m_channel;
  RemoteMemory m_memory;
  pid_t m_child;
  AppProcess m_app;
  bool m_library_checked = false;
  HandleTranslation m_handles;
  std::unordered_map<std::uint64_t, RequestRecord> m_requests;
};

// Where a restarted rank's application comes from.
struct Restore {
  std::string dir;   // the checkpoint (DIR/ckpt-NNNNNN)
  ProxyState state;  // this rank's saved proxy state
  std::string channel;
  std::uint64_t bytes = 0;  // this rank's files
  std::uint64_t start_ns = 0;
  // A migration's state of a rank that stays: its application runs on, this proxy
  // takes it over (no CRIU images).
  bool attach = false;
  bool migration = false;    // from a migration's state (else a checkpoint)
  bool prelaunched = false;  // this MPI layer was started before the state was written
  Manifest manifest;
  // A pre-launched proxy's copy of its rank's pre-copied arena, made while the job ran
  // on (docs/migration.md, "Pre-copy"); null without one.
  std::shared_ptr<ArenaImageFollower> arena_ready;
};

// A migration's new MPI layer is running: every rank waits for the others, and rank 0
// writes the migration's record (its phases, the downtime; docs/migration.md) to the
// trace and a progress line.
void record_migration(const Restore& restore, const CheckpointRecord& mine) {
  const Manifest& m = restore.manifest;
  double restore_ms = 0;
  double rebuild_ms = 0;
  PMPI_Reduce(&mine.restore_ms, &restore_ms, 1, MPI_DOUBLE, MPI_MAX, 0, app_world());
  PMPI_Reduce(&mine.rebuild_ms, &rebuild_ms, 1, MPI_DOUBLE, MPI_MAX, 0, app_world());
  const std::uint64_t t0 = monotonic_ns();
  PMPI_Barrier(app_world());
  if (mine.rank != 0) {
    return;
  }
  CheckpointRecord r;
  r.time = wall_seconds();
  r.rank = -1;
  set_text(r.kind, "migration");
  r.epoch = mine.epoch;
  r.decision_ms = m.decision_ms;
  r.predump_ms = m.precopy_ms;
  r.quiesce_ms = m.quiesce_ms;
  r.dump_ms = m.dump_ms;
  r.write_ms = std::max(0.0, m.total_ms - m.quiesce_ms - m.dump_ms);
  r.restore_ms = restore_ms;
  r.rebuild_ms = rebuild_ms;
  r.resume_ms = static_cast<double>(monotonic_ns() - t0) * 1e-6;
  // The downtime: from the quiesce's start to now; what the other phases leave of it is
  // the relaunch (mpirun, MPI_Init), or with the layer started beforehand the hand-over
  // (the old proxies leaving, the state found).
  r.total_ms = (r.time - (m.time - m.total_ms * 1e-3)) * 1e3;
  r.relaunch_ms =
      std::max(0.0, r.total_ms - m.total_ms - r.restore_ms - r.rebuild_ms - r.resume_ms);
  for (const RankCheckpoint& rank : m.ranks) {
    const bool moved = std::any_of(rank.files.begin(), rank.files.end(), [](const auto& f) {
      return f.path.size() >= 13 && f.path.compare(f.path.size() - 13, 13, "inventory.img") == 0;
    });
    for (const CheckpointFile& f : rank.files) {
      r.bytes += moved ? static_cast<std::int64_t>(f.size) : 0;
    }
  }
  record_checkpoint(r);
  std::fprintf(stderr,
               "ftmpi: migration of node %s: resumed on %s after %.2f s of downtime (quiesce "
               "%.0f ms, dump %.0f ms, %s %.0f ms, restore %.0f ms, rebuild %.0f ms; "
               "%.1f MB moved)\n",
               m.migrate_from.c_str(), m.migrate_to.c_str(), r.total_ms * 1e-3, r.quiesce_ms,
               r.dump_ms + r.write_ms, restore.prelaunched ? "hand-over" : "relaunch",
               r.relaunch_ms, r.restore_ms, r.rebuild_ms, static_cast<double>(r.bytes) / 1e6);
}

// The application's keeper: a child of this proxy in a session of its own (a migration
// ends this proxy and its MPI layer, never the application) that starts or restores
// the application as its own child, keeps the read ends of its output pipes open (what
// it writes while no proxy serves it waits in the pipe) and, once it has exited, puts
// its wait status into the channel: a proxy that did not start it learns from there
// how it ended.
// Closes every descriptor from 3 up but those in `kept`.
void close_all_but(std::vector<int> kept) {
  kept.push_back(std::numeric_limits<int>::max());
  std::sort(kept.begin(), kept.end());
  int from = 3;
  for (int fd : kept) {
    if (fd > from) {
      ::close_range(static_cast<unsigned>(from), static_cast<unsigned>(fd - 1), 0);
    }
    from = std::max(from, fd + 1);
  }
}

// `start` uses `uses` (with `keep`) and no other descriptor of the proxy's.
Result<AppProcess> start_with_keeper(ChannelLayout& layout, const std::vector<int>& keep,
                                     const std::vector<int>& uses,
                                     const std::function<Result<pid_t>()>& start) {
  int report[2] = {-1, -1};
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return errno_status("pipe", errno);
  }
  const pid_t keeper = ::fork();
  if (keeper < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return errno_status("fork", err);
  }
  if (keeper == 0) {
    ::close(report[0]);
    // None of MPI's (a proxy that started its MPI layer before a migration's state was
    // there forks after MPI_Init): its sockets must end with the proxy.
    std::vector<int> needed(keep.begin(), keep.end());
    needed.insert(needed.end(), uses.begin(), uses.end());
    needed.push_back(report[1]);
    close_all_but(needed);
    ::setsid();
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // the namespace's init, and CRIU's restored tree
    auto app = start();
    const pid_t pid = app.ok() ? app.value() : -1;
    std::string message = app.ok() ? std::string() : app.status().message();
    (void)!::write(report[1], &pid, sizeof pid);
    (void)!::write(report[1], message.data(), message.size());
    ::close(report[1]);
    if (pid <= 0) {
      ::_exit(1);
    }
    // Nothing of the proxy's: not the channel's lock (it says "a proxy serves this
    // channel"), not mpirun's output (mpirun waits for that to end before it ends).
    close_all_but(keep);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd) {
      ::dup2(null, fd);
    }
    // Also the application's watchdog: with no proxy serving it (the proxy died, not
    // handed over) for 10 s, or handed over and not taken over for 10 minutes, it is
    // killed; it may be blocked writing output no one reads, where its own check (in
    // its next MPI call) never comes.
    double orphaned_since = -1;
    for (;;) {
      int status = 0;
      const pid_t got = ::waitpid(-1, &status, WNOHANG);
      if (got == pid || (got < 0 && errno == ECHILD)) {
        layout.app_status.store(got == pid ? status : SIGKILL, std::memory_order_relaxed);
        layout.app_ended.store(1, std::memory_order_release);
        ::_exit(0);
      }
      if (got > 0) {
        continue;  // a process CRIU's restore left to this subreaper
      }
      const pid_t proxy = layout.proxy_pid.load(std::memory_order_acquire);
      const bool served = proxy > 0 && (::kill(proxy, 0) == 0 || errno == EPERM);
      const double now = static_cast<double>(monotonic_ns()) * 1e-9;
      if (served) {
        orphaned_since = -1;
      } else if (orphaned_since < 0) {
        orphaned_since = now;
      } else if (now - orphaned_since >
                 (layout.handover.load(std::memory_order_acquire) != 0 ? 600.0 : 10.0)) {
        ::kill(pid, SIGKILL);
      }
      ::usleep(100000);
    }
  }
  ::close(report[1]);
  pid_t pid = -1;
  const bool got = ::read(report[0], &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid);
  std::string message;
  char buffer[512];
  for (ssize_t n = 0; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) {
    message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(report[0]);
  if (!got || pid <= 0) {
    ::waitpid(keeper, nullptr, 0);
    return internal_error(message.empty() ? "the application's keeper failed" : message);
  }
  return AppProcess{pid, keeper, true};
}

// The application process: started fresh, or restored by CRIU from a checkpoint (its
// channel file recreated first, its stdio pipes put in place of the old ones).  Runs
// in the application's keeper.
Result<pid_t> start_application(const std::vector<std::string>& program, const std::string& path,
                                const Restore* restore, StdioRelay& stdio, ChannelLayout& layout) {
  if (restore == nullptr) {
    SpawnOptions options;
    const char* old_preload = std::getenv("LD_PRELOAD");  // NOLINT(concurrency-mt-unsafe)
    std::string preload = own_library();
    if (const std::string arena = arena_library(preload); !arena.empty()) {
      preload = arena + ":" + preload;
    }
    if (old_preload != nullptr && *old_preload != '\0') {
      preload += std::string(":") + old_preload;
    }
    options.environment = {std::string(k_env_channel) + "=" + path, "LD_PRELOAD=" + preload};
    options.allow_without_namespace = true;
    std::copy(stdio.child_fds(), stdio.child_fds() + 3, options.stdio);
    auto spawned = spawn_process(program, options);
    if (!spawned.ok()) {
      return spawned.status();
    }
    if (!spawned.value().in_namespace) {
      logger("proxy")->warn(
          "no privilege for a PID namespace: {} runs as a plain child and may not be restorable",
          program[0]);
    }
    return spawned.value().pid;
  }
  auto criu = find_criu();
  if (!criu.ok()) {
    return criu.status();
  }
  // Files it was writing go back to their size at the checkpoint (CRIU refuses a file
  // whose size changed; the restarted program writes the rest again).
  for (std::size_t f = 0; f < restore->state.file_paths.size(); ++f) {
    const std::string& file = restore->state.file_paths[f];
    const std::uint64_t size = restore->state.file_sizes[f];
    std::error_code ec;
    const std::uint64_t now = std::filesystem::file_size(file, ec);
    if (ec || now < size) {
      return io_error(fmt::format(
          "{} had {} bytes at the checkpoint and now {}: it was changed outside the job; "
          "restore it or restart from a later checkpoint",
          file, size, ec ? std::string("is missing") : std::to_string(now)));
    }
    if (now > size && ::truncate(file.c_str(), static_cast<off_t>(size)) != 0) {
      return errno_status("cannot cut " + file + " back to its size at the checkpoint", errno);
    }
  }
  char work[] = "/tmp/ftmpi-restore-XXXXXX";
  if (::mkdtemp(work) == nullptr) {
    return errno_status("mkdtemp", errno);
  }
  std::vector<Criu::InheritFd> inherit;
  for (std::size_t fd = 0; fd < 3 && fd < restore->state.stdio.size(); ++fd) {
    if (restore->state.stdio[fd].rfind("pipe:", 0) == 0) {
      inherit.push_back({stdio.child_fds()[fd], restore->state.stdio[fd]});
    }
  }
  const std::string images =
      (std::filesystem::path(restore->dir) / fmt::format("rank-{}", restore->state.rank)).string();
  auto pid = Criu(criu.value()).restore(images, work, inherit);
  if (pid.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
    // A migration's pre-copied arena: in place before the application goes on.
    if (Status loaded =
            load_precopied_arena(images, pid.value(), layout, restore->arena_ready.get());
        !loaded.ok()) {
      ::kill(pid.value(), SIGKILL);
      return loaded.with_context("the pre-copied arena");
    }
  }
  return pid;
}

// --restore: this rank's part of a checkpoint, checked against the manifest.
Result<Restore> read_restore(const std::string& dir) {
  namespace fs = std::filesystem;
  const int rank = std::atoi(env_or("OMPI_COMM_WORLD_RANK", "0"));
  auto manifest = read_manifest(dir);
  if (!manifest.ok()) {
    return manifest.status();
  }
  const RankCheckpoint* mine = nullptr;
  for (const RankCheckpoint& r : manifest.value().ranks) {
    if (r.rank == rank) {
      mine = &r;
    }
  }
  if (mine == nullptr) {
    return not_found(fmt::format("{} has no rank {}", dir, rank));
  }
  Restore restore;
  restore.dir = dir;
  restore.migration = !manifest.value().migrate_from.empty();
  restore.manifest = manifest.value();
  restore.channel = mine->channel;
  for (const CheckpointFile& f : mine->files) {
    restore.bytes += f.size;
  }
  // The channel's directory, held before anything is put in it (a rank not moved
  // re-attaches to the channel there).
  if (Status held = hold_channel_dir(restore.channel); !held.ok()) {
    return held;
  }
  auto state = load_proxy_state(
      (fs::path(dir) / fmt::format("rank-{}", rank) / k_proxy_state_file).string());
  if (!state.ok()) {
    return state.status();
  }
  restore.state = std::move(state.value());
  std::error_code ec;
  const fs::path rank_dir = fs::path(dir) / fmt::format("rank-{}", rank);
  if (!fs::exists(rank_dir / "inventory.img", ec)) {
    // Not moved by a migration: the application is still running on its node.
    const ProxyState& s = restore.state;
    const std::string here = node_name();
    if (s.app_pid <= 0) {
      return corrupt(fmt::format("{} holds no CRIU images of rank {}", dir, rank));
    }
    if (s.node != here) {
      return invalid_argument(
          fmt::format("rank {}'s application runs on node {}, this proxy was started on {}", rank,
                      s.node, here));
    }
    const std::vector<std::string> env = process_environment(s.app_pid);
    if (std::find(env.begin(), env.end(), std::string(k_env_channel) + "=" + restore.channel) ==
        env.end()) {
      return not_found(fmt::format(
          "rank {}'s application (pid {} on {}) is gone: the job cannot go on from this "
          "migration; restart it from its last checkpoint",
          rank, s.app_pid, s.node));
    }
    restore.attach = true;
    return restore;
  }
  // The channel as it was: a call the application was waiting on is still in it.  A new
  // file, never the old one rewritten: an application of an earlier run that outlived
  // it (killed while CRIU held it) keeps the old one to itself, finds it orphaned and
  // exits, instead of talking to this proxy beside the restored application.
  const fs::path saved_channel = fs::path(dir) / fmt::format("rank-{}", rank) / "channel.bin";
  {
    // The restored application's libftmpi lays the channel out as the ftmpi that made
    // the checkpoint did: only the same layout can serve it.
    std::ifstream in(saved_channel, std::ios::binary);
    std::uint64_t magic = 0;
    std::uint32_t version = 0;
    in.read(reinterpret_cast<char*>(&magic), sizeof magic);
    in.read(reinterpret_cast<char*>(&version), sizeof version);
    if (!in || magic != k_channel_magic) {
      return corrupt(fmt::format("{} is not an ftmpi channel", saved_channel.string()));
    }
    if (version != k_channel_version) {
      return unsupported(fmt::format(
          "rank {}'s checkpoint was made by an ftmpi whose application channel has version {}; "
          "this one has version {}: restart it with the ftmpi that made it",
          rank, version, k_channel_version));
    }
  }
  fs::create_directories(fs::path(restore.channel).parent_path(), ec);
  fs::remove(restore.channel, ec);
  fs::copy_file(saved_channel, restore.channel, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return io_error(
        fmt::format("cannot recreate the channel {}: {}", restore.channel, ec.message()));
  }
  return restore;
}

// MPI for the proxy: MPI_THREAD_MULTIPLE where the library gives it, so that the
// communicator constructors run beside the polling (progress.hpp: run_beside_polling).
int start_mpi() {
  int argc = 0;
  int provided = MPI_THREAD_SINGLE;
  const int rc = MPI_Init_thread(&argc, nullptr, MPI_THREAD_MULTIPLE, &provided);
  if (rc == MPI_SUCCESS && provided == MPI_THREAD_MULTIPLE) {
    set_blocking_hook(&run_beside_polling);
  } else if (rc == MPI_SUCCESS) {
    logger("proxy")->debug(
        "MPI gives no MPI_THREAD_MULTIPLE: communicator constructors run "
        "blocking");
  }
  return rc;
}

// A pre-launched proxy follows its rank's pre-copied arena, if there is one
// (ROOT/precopy/rank-R.img, ordered for this migration state), into a copy on this node
// while the job runs on: at the restore only what was written last is left to add.
class ArenaFollowing {
 public:
  ArenaFollowing(const std::string& root, std::string state, const std::string& rank)
      : m_root(root),
        m_state(std::move(state)),
        m_image(
            (std::filesystem::path(root) / k_precopy_dir / ("rank-" + rank + ".img")).string()) {}

  // Every 20 ms: the records written since applied.
  void look() noexcept {
    const std::uint64_t now = monotonic_ns();
    if (m_failed || now < m_next_ns) {
      return;
    }
    m_next_ns = now + 20'000'000;
    try {
      if (!m_file_system_checked) {  // once: it does not change under the job
        m_file_system_checked = true;
        if (!local_file_system()) {
          m_failed = true;
          return;
        }
      }
      if (!m_follower) {
        // Only an order for this very migration (a stale image is someone else's).
        std::ifstream in(std::filesystem::path(m_root) / k_precopy_order_file);
        std::string from;
        std::string state;
        std::error_code ec;
        if (!(in >> from >> state) || state != m_state || !std::filesystem::exists(m_image, ec)) {
          return;
        }
        auto opened = ArenaImageFollower::open(m_image);
        if (!opened.ok()) {
          return;  // not there yet (or its header not yet): the next look
        }
        m_follower = std::make_shared<ArenaImageFollower>(std::move(opened.value()));
      }
      if (Status followed = m_follower->follow(); !followed.ok()) {
        logger("proxy")->info("the pre-copied arena is not followed here: {}", followed.message());
        m_follower.reset();
        m_failed = true;
      }
    } catch (...) {  // out of memory: the image is loaded at the restore instead
      m_follower.reset();
      m_failed = true;
    }
  }
  std::shared_ptr<ArenaImageFollower> take() noexcept { return std::move(m_follower); }

 private:
  // Whether the checkpoint directory is on a file system of this machine's own: on a
  // shared one (NFS and the like) another node's writes can reach this one late and out
  // of order, and a size seen here does not say that the data below it is there.
  bool local_file_system() const {
    struct statfs fs {};
    if (::statfs(m_root.c_str(), &fs) != 0) {
      return false;
    }
    constexpr std::array<unsigned long, 6> k_local{
        0xEF53,      // ext2/3/4
        0x58465342,  // xfs
        0x9123683E,  // btrfs
        0x01021994,  // tmpfs
        0xF2F52010,  // f2fs
        0x794C7630,  // overlayfs
    };
    if (std::find(k_local.begin(), k_local.end(), static_cast<unsigned long>(fs.f_type)) !=
        k_local.end()) {
      return true;
    }
    logger("proxy")->info(
        "the pre-copied arena is not followed here: {} is on a file system (type {:#x}) that "
        "may be shared between nodes; the image is loaded at the restore",
        m_root, static_cast<unsigned long>(fs.f_type));
    return false;
  }

  std::string m_root;
  std::string m_state;
  std::string m_image;
  std::shared_ptr<ArenaImageFollower> m_follower;
  std::uint64_t m_next_ns = 0;
  bool m_file_system_checked = false;
  bool m_failed = false;
};

// --await-migration STATE: MPI_Init, "ready" (ROOT/prelaunch/RANK beside STATE), then
// the migration's state as soon as the old MPI layer has written it (ftmpi-launch stops
// this layer if the migration is abandoned).
Result<Restore> await_migration(const std::string& state) {
  namespace fs = std::filesystem;
  const std::string root = fs::path(state).parent_path().string();
  if (start_mpi() != MPI_SUCCESS) {
    return internal_error("MPI_Init failed");
  }
  const std::string rank = env_or("OMPI_COMM_WORLD_RANK", "0");
  const fs::path ready = fs::path(root) / k_prelaunch_dir / rank;
  std::error_code ec;
  fs::create_directories(ready.parent_path(), ec);
  if (const Status made = write_file_atomically(ready.string(), ""); !made.ok()) {
    return made;
  }
  constexpr double k_longest_wait_s = 3600;  // a launcher that vanished without stopping us
  const std::uint64_t since = monotonic_ns();
  ArenaFollowing arena(root, fs::path(state).filename().string(), rank);
  for (;;) {
    std::error_code exists;
    if (fs::exists(fs::path(state) / k_manifest_name, exists)) {
      const std::uint64_t start_ns = monotonic_ns();
      auto restore = read_restore(state);
      if (restore.ok()) {
        restore.value().start_ns = start_ns;
        restore.value().prelaunched = true;
        restore.value().arena_ready = arena.take();
      }
      return restore;
    }
    arena.look();
    if (static_cast<double>(monotonic_ns() - since) * 1e-9 > k_longest_wait_s) {
      return not_found(fmt::format("no migration's state {} after an hour", state));
    }
    ::usleep(2000);
  }
}

int run(int argc, char** argv) {
  int i = 1;
  if (i < argc && (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0)) {
    std::fputs(k_usage, stdout);
    return 0;
  }
  std::optional<Restore> restore;
  bool in_mpi = false;
  if (i + 1 < argc && std::strcmp(argv[i], "--await-migration") == 0) {
    // The next MPI layer of a migration, started while the job still runs on the old
    // one: in MPI first, then the migration's state once the old layer wrote it.
    auto awaited = await_migration(argv[i + 1]);
    if (!awaited.ok()) {
      std::fprintf(stderr, "ftmpi-proxy: cannot take over after the migration: %s\n",
                   awaited.status().message().c_str());
      std::fflush(stderr);
      PMPI_Abort(MPI_COMM_WORLD, 70);
    }
    restore = std::move(awaited.value());
    in_mpi = true;
    i += 2;
  } else if (i + 1 < argc && std::strcmp(argv[i], "--restore") == 0) {
    const std::uint64_t start_ns = monotonic_ns();
    auto read = read_restore(argv[i + 1]);
    if (!read.ok()) {
      std::fprintf(stderr, "ftmpi-proxy: cannot restart from %s: %s\n", argv[i + 1],
                   read.status().message().c_str());
      return 70;
    }
    restore = std::move(read.value());
    restore->start_ns = start_ns;
    i += 2;
  }
  if (i < argc && std::strcmp(argv[i], "--") == 0) {
    ++i;
  }
  if (i >= argc && !restore) {
    std::fputs(k_usage, stderr);
    return 64;
  }
  const std::vector<std::string> program = i < argc
                                               ? std::vector<std::string>(argv + i, argv + argc)
                                               : std::vector<std::string>{"restored program"};

  const std::string path = restore ? restore->channel : channel_path();
  if (Status held = hold_channel_dir(path); !held.ok()) {
    std::fprintf(stderr, "ftmpi-proxy: %s\n", held.message().c_str());
    return 70;
  }
  // After a migration's state, the old layer's proxy may still be leaving the channel.
  auto channel = Channel::create(path, in_mpi ? 60.0 : 0.0);
  std::snprintf(g_channel_file, sizeof g_channel_file, "%s", path.c_str());
  if (!channel.ok()) {
    std::fprintf(stderr, "ftmpi-proxy: %s\n", channel.status().message().c_str());
    return 70;
  }
  StdioRelay stdio;
  Result<AppProcess> started = AppProcess{};
  if (restore && restore->attach) {
    stdio.attach(restore->state.app_pid, restore->state.stdio);
    started = AppProcess{restore->state.app_pid, restore->state.keeper_pid, false};
  } else {
    if (const Status opened = stdio.open(); !opened.ok()) {
      std::fprintf(stderr, "ftmpi-proxy: %s\n", opened.message().c_str());
      return 70;
    }
    std::vector<int> uses(stdio.child_fds(), stdio.child_fds() + 3);
    if (restore && restore->arena_ready) {
      uses.push_back(restore->arena_ready->memfd());
      uses.push_back(restore->arena_ready->image_fd());
    }
    ChannelLayout& layout = channel.value().layout();
    // The keeper holds the job's directory too, for as long as the application lives:
    // between a migration's old proxy leaving and the new one taking over, no sweep
    // takes it for stale.
    std::vector<int> keeps = stdio.keeper_keeps();
    if (g_job_dir.held()) {
      keeps.push_back(g_job_dir.fd());
    }
    started = start_with_keeper(layout, keeps, uses, [&] {
      return start_application(program, path, restore ? &*restore : nullptr, stdio, layout);
    });
    if (restore) {
      restore->arena_ready.reset();  // the keeper's now (the application's, once taken)
    }
  }
  stdio.start();
  if (!started.ok()) {
    stdio.finish();
    remove_channel_file(path);
    std::fprintf(stderr, "ftmpi-proxy: cannot %s %s: %s\n", restore ? "restore" : "start",
                 program[0].c_str(), started.status().message().c_str());
    return 127;
  }
  const pid_t child = started.value().app;
  const std::uint64_t restored_ns = monotonic_ns();
  g_child.store(child);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    ::signal(sig, &on_terminate);
  }
  Proxy proxy(std::move(channel.value()), started.value());
  set_sampled_process(child);

  if (!in_mpi && start_mpi() != MPI_SUCCESS) {
    ::kill(child, SIGKILL);
    proxy.remove_channel();
    std::fprintf(stderr, "ftmpi-proxy: MPI_Init failed\n");
    return 70;
  }
  if (restore) {
    // Every rank back before the first collective (the control's communicator, the
    // rebuild), waited for without spinning: a rank whose application is still being
    // restored (a migration's moved ones: their arenas loaded) must not share the
    // cores with ranks that busy-wait in MPI.
    barrier_without_spinning(app_world());
  }
  control().start(child, started.value().keeper, path);
  control().set_migration_leaver(
      [&proxy, &stdio](bool moved) { proxy.leave_for_migration(moved, stdio); });
  control().set_request_saver([&proxy] { return proxy.save_requests(); });
  if (restore) {
    const std::uint64_t rebuild_ns = monotonic_ns();
    // Every handle the application holds, rebuilt on this MPI; drained messages back.
    const Status replayed = replay_log(restore->state.log, restore->state.predefined);
    if (!replayed.ok()) {
      std::fprintf(stderr, "ftmpi-proxy: cannot restart: %s\n", replayed.message().c_str());
      std::fflush(stderr);
      ::kill(child, SIGKILL);
      PMPI_Abort(MPI_COMM_WORLD, 70);
    }
    const ReplayContext context(restore->state.predefined);
    const auto translate = [&context](std::uint64_t bits) { return context.translate(bits); };
    drain_queue().restore(restore->state.drained, translate);
    matched_messages().restore(restore->state.matched, translate);
    if (const Status requests = proxy.restore_requests(restore->state.requests); !requests.ok()) {
      std::fprintf(stderr, "ftmpi-proxy: cannot restart: %s\n", requests.message().c_str());
      std::fflush(stderr);
      ::kill(child, SIGKILL);
      PMPI_Abort(MPI_COMM_WORLD, 70);
    }
    app_mpi_state().initialized = restore->state.app_initialized;
    app_mpi_state().finalized = restore->state.app_finalized;
    app_mpi_state().thread_level = restore->state.app_thread_level;
    control().restored(restore->state.epoch);
    skip_sends_once() = restore->state.call_sent;
    CheckpointRecord record;
    record.time = wall_seconds();
    record.rank = restore->state.rank;
    set_text(record.kind, restore->attach      ? "reattached"
                          : restore->migration ? "migrated"
                                               : "restart");
    record.epoch = static_cast<std::int64_t>(restore->state.epoch);
    // MPI_Init, between the two, is neither.
    record.restore_ms = static_cast<double>(restored_ns - restore->start_ns) * 1e-6;
    record.rebuild_ms = static_cast<double>(monotonic_ns() - rebuild_ns) * 1e-6;
    record.total_ms = static_cast<double>(monotonic_ns() - restore->start_ns) * 1e-6;
    record.bytes = static_cast<std::int64_t>(restore->bytes);
    record_checkpoint(record);
    logger("proxy")->info(
        "rank {}: {} {} ({} creation-log records replayed; restore {:.1f} ms, "
        "rebuild {:.1f} ms)",
        restore->state.rank, restore->attach ? "took its application over after" : "restarted from",
        restore->dir, restore->state.log.size(), record.restore_ms, record.rebuild_ms);
    if (restore->migration) {
      record_migration(*restore, record);
    }
  }
  const Served served = proxy.serve();
  proxy.log_buffers();
  g_child.store(0);
  stdio.finish();
  proxy.remove_channel();
  AppMpiState& state = app_mpi_state();
  if (served.by_signal) {
    std::fprintf(stderr, "ftmpi-proxy: %s was killed by signal %d\n", program[0].c_str(),
                 served.exit_code - 128);
  }
  if (!state.finalized) {
    if (served.exit_code != 0 && state.initialized) {
      // Like mpirun when a rank dies: the whole job stops.
      std::fprintf(stderr,
                   "ftmpi-proxy: %s ended with status %d without calling MPI_Finalize; "
                   "the job stops\n",
                   program[0].c_str(), served.exit_code);
      std::fflush(stderr);
      PMPI_Abort(MPI_COMM_WORLD, served.exit_code);
    }
    // A program that never used MPI (or finished without MPI_Finalize): leave in its place.
    control().stop();
    MPI_Finalize();
  }
  return served.exit_code;
}

}  // namespace
}  // namespace ftmpi

extern "C" int ftmpi_proxy_main(int argc, char** argv) noexcept {
  try {
    return ftmpi::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-proxy: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "ftmpi-proxy: internal error\n");
  }
  return 70;
}
