#include "collector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ckpt/manifest.hpp"
#include "comm/mpi_status.hpp"
#include "fault_log.hpp"
#include "ftmpi/version.h"
#include "telemetry/batch.hpp"
#include "trace_file.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace ftmpi {
namespace {

// MPI_Probe that does not burn a core: Open MPI's blocking probe polls without rest,
// and the predictor shares its node with application ranks.  Samples come about once a
// second, so sleeping up to 50 ms between polls costs nothing that matters; every
// wake-up steals a time slice from a rank on a fully subscribed node.
Status idle_probe(int tag, MPI_Comm comm, MPI_Status& status) {
  long sleep_us = 100;
  while (true) {
    int found = 0;
    FTMPI_RETURN_IF_ERROR(
        mpi_status("MPI_Iprobe", PMPI_Iprobe(MPI_ANY_SOURCE, tag, comm, &found, &status)));
    if (found != 0) {
      return {};
    }
    const timespec pause{0, sleep_us * 1000};
    nanosleep(&pause, nullptr);
    sleep_us = std::min(sleep_us * 2, 50000L);
  }
}

Event make_event(const char* kind, const std::string& detail) {
  Event e;
  e.time = wall_seconds();
  set_text(e.kind, kind);
  set_text(e.detail, detail);
  return e;
}

// "checkpoint 3: rank 0 wrote 4.7 MB in 95.1 ms (quiesce 0.2 ms, dump 60.3 ms, ...)".
std::string checkpoint_summary(const CheckpointRecord& c) {
  const double mb = static_cast<double>(c.bytes) / 1e6;
  if (std::string_view(c.kind) == "migration") {
    return fmt::format(
        "migration at {}: {:.2f} s of downtime, {:.1f} MB moved (decision {:.1f}, quiesce "
        "{:.1f}, dump {:.1f}, write {:.1f}, relaunch {:.1f}, restore {:.1f}, rebuild {:.1f}, "
        "resume {:.1f} ms)",
        c.epoch, c.total_ms * 1e-3, mb, c.decision_ms, c.quiesce_ms, c.dump_ms, c.write_ms,
        c.relaunch_ms, c.restore_ms, c.rebuild_ms, c.resume_ms);
  }
  if (std::string_view(c.kind) == "restart") {
    return fmt::format(
        "from checkpoint {}: rank 0 restored {:.1f} MB in {:.1f} ms (restore {:.1f} "
        "ms, rebuild {:.1f} ms)",
        c.epoch, mb, c.total_ms, c.restore_ms, c.rebuild_ms);
  }
  return fmt::format(
      "checkpoint {}: {:.1f} ms, rank 0 dumped {:.1f} MB (quiesce {:.1f} ms, dump "
      "{:.1f} ms, write {:.1f} ms)",
      c.epoch, c.total_ms, mb, c.quiesce_ms, c.dump_ms, c.write_ms);
}

class Collector {
 public:
  Collector(JobWorld& world, const CollectorConfig& config) : m_world(world), m_config(config) {}

  Status run() {
    FTMPI_RETURN_IF_ERROR(greet());
    open_trace();
    record(
        {make_event("job_start", m_config.command), make_event("predictor", m_config.predictor)});
    int left = 0;
    bool migrating = false;
    double last_flush = wall_seconds();
    while (left < m_world.app_ranks) {
      MPI_Status status;
      FTMPI_RETURN_IF_ERROR(idle_probe(MPI_ANY_TAG, m_world.control, status));
      int bytes = 0;
      PMPI_Get_count(&status, MPI_BYTE, &bytes);
      std::vector<std::byte> message(static_cast<std::size_t>(bytes));
      FTMPI_RETURN_IF_ERROR(
          mpi_status("MPI_Recv", PMPI_Recv(message.data(), bytes, MPI_BYTE, status.MPI_SOURCE,
                                           status.MPI_TAG, m_world.control, MPI_STATUS_IGNORE)));
      if (status.MPI_TAG == k_tag_leave) {
        ++left;
        migrating = migrating || bytes > 0;  // "m": the job goes on after a migration
      } else if (status.MPI_TAG == k_tag_samples) {
        store(message, status.MPI_SOURCE);
      }
      if (wall_seconds() - m_last_watch >= m_config.sample_interval) {
        watch_node_daemons();
      }
      if (wall_seconds() - last_flush >= m_config.flush_interval) {
        flush();
        last_flush = wall_seconds();
      }
    }
    record_faults();
    record({migrating
                ? make_event("layer_end",
                             "the MPI layer ends for a migration; the job goes on in the "
                             "trace of the next")
                : make_event("job_end", fmt::format("{} ranks finished", m_world.app_ranks))});
    if (m_trace) {
      report(m_trace->close());
      m_trace.reset();
    }
    PMPI_Comm_free(&m_world.control);
    return {};
  }

 private:
  // One RankHello from every application rank, in any order.
  Status greet() {
    m_hellos.resize(static_cast<std::size_t>(m_world.app_ranks));
    for (int i = 0; i < m_world.app_ranks; ++i) {
      RankHello hello;
      MPI_Status status;
      FTMPI_RETURN_IF_ERROR(idle_probe(k_tag_hello, m_world.control, status));
      FTMPI_RETURN_IF_ERROR(
          mpi_status("MPI_Recv", PMPI_Recv(&hello, sizeof hello, MPI_BYTE, status.MPI_SOURCE,
                                           k_tag_hello, m_world.control, MPI_STATUS_IGNORE)));
      if (hello.rank < 0 || hello.rank >= m_world.app_ranks) {
        return corrupt(fmt::format("greeting from an unknown rank {}", hello.rank));
      }
      m_hellos[static_cast<std::size_t>(hello.rank)] = hello;
    }
    std::map<std::string, int> node_of_host;
    for (const RankHello& hello : m_hellos) {
      const std::string host(hello.host);
      auto [it, added] = node_of_host.emplace(host, static_cast<int>(node_of_host.size()));
      if (added) {
        NodeInfo node;
        node.node = it->second;
        set_text(node.name, host);
        m_header.nodes.push_back(node);
      }
      m_header.ranks.push_back({hello.rank, it->second, hello.pid});
      m_node_of_rank.push_back(it->second);
    }
    m_rank_nodes = static_cast<int>(m_header.nodes.size());
    // Nodes without ranks whose node daemon samples them: in the trace after the others.
    std::error_code ec;
    std::set<std::string> daemons;
    for (const auto& entry : ftmpi::directory_entries(
             m_config.node_daemons.empty() ? std::filesystem::path()
                                           : std::filesystem::path(m_config.node_daemons),
             ec)) {
      if (entry.is_directory(ec) && !node_of_host.contains(entry.path().filename().string())) {
        daemons.insert(entry.path().filename().string());
      }
    }
    for (const std::string& name : daemons) {
      NodeInfo node;
      node.node = static_cast<int>(m_header.nodes.size());
      set_text(node.name, name);
      m_header.nodes.push_back(node);
      m_watched.push_back(
          {node.node,
           (std::filesystem::path(m_config.node_daemons) / name / k_node_sample_file).string()});
    }
    std::set<std::string> papi;
    for (const RankHello& hello : m_hellos) {
      papi.insert(hello.papi);
    }
    for (const std::string& p : papi) {
      m_header.papi += (m_header.papi.empty() ? "" : "; ") + p;
    }
    return {};
  }

  void open_trace() {
    if (m_config.trace_path.empty()) {
      return;
    }
    m_header.command = m_config.command;
    m_header.mode = m_config.mode;
    m_header.ftmpi_version = FTMPI_VERSION_STRING;
    m_header.start_time = wall_seconds();
    m_header.sample_interval = m_config.sample_interval;
    auto writer = TraceWriter::create(m_config.trace_path, m_header);
    if (!writer.ok()) {
      logger("predictor")->error("{}; the job goes on without a trace", writer.status().message());
      return;
    }
    m_trace = std::move(writer).value();
  }

  void store(std::span<const std::byte> message, int source) {
    auto batch = decode_batch(message);
    if (!batch.ok()) {
      logger("predictor")
          ->warn("dropped samples from rank {}: {}", source, batch.status().message());
      return;
    }
    for (RankSample& s : batch.value().ranks) {
      s.node = node_of(s.rank);
    }
    for (NodeSample& s : batch.value().nodes) {
      s.node = node_of(s.reporter);
    }
    std::vector<Event> events;
    assess(batch.value().nodes, events);
    for (CheckpointRecord& c : batch.value().checkpoints) {
      c.node = c.rank >= 0 ? node_of(c.rank) : -1;
      const std::string_view kind(c.kind);
      // The job's checkpoint or restart (rank 0's record), or migration (the job's record).
      if ((c.rank == 0 && (kind == "checkpoint" || kind == "restart")) || c.rank < 0) {
        Event e = make_event(c.kind, checkpoint_summary(c));
        e.time = c.time;
        events.push_back(e);
      }
      if (c.rank < 0 && kind == "migration" && c.total_ms > 0) {
        // A migration of this job: what one costs is measured now, not assumed.  The
        // ranks are off the node only after the decision's wait (the next MPI layer
        // starting, the job quiet enough) and the downtime.
        const double cost = (c.decision_ms + c.total_ms) * 1e-3;
        m_risk.set_migration_cost(cost);
        Event e = make_event(
            "predictor",
            fmt::format("migration cost measured: {:.1f} s (from the request to the ranks "
                        "moved, in the last migration: {:.1f} s of them downtime)",
                        cost, c.total_ms * 1e-3));
        e.time = c.time;
        events.push_back(e);
      }
    }
    if (m_trace) {
      report(m_trace->append(std::span<const RankSample>(batch.value().ranks)));
      report(m_trace->append(std::span<const NodeSample>(batch.value().nodes)));
      report(m_trace->append(std::span<const CheckpointRecord>(batch.value().checkpoints)));
      report(m_trace->append(std::span<const Event>(events)));
      report(m_trace->append(std::span<const Prediction>(m_predictions)));
    }
    m_predictions.clear();
  }

  // The new samples of the nodes without ranks, from their node daemons, scored and
  // stored like the others.
  void watch_node_daemons() {
    m_last_watch = wall_seconds();
    std::vector<NodeSample> samples;
    for (Watched& w : m_watched) {
      std::ifstream in(w.file);
      std::stringstream text;
      NodeSample s;
      if (!(text << in.rdbuf()) || !parse_node_sample_text(text.str(), s) || s.time <= w.last) {
        continue;  // none yet, or none since the last
      }
      w.last = s.time;
      s.node = w.node;
      s.reporter = -1;
      samples.push_back(s);
    }
    if (samples.empty()) {
      return;
    }
    std::vector<Event> events;
    assess(samples, events);
    if (m_trace) {
      report(m_trace->append(std::span<const NodeSample>(samples)));
      report(m_trace->append(std::span<const Event>(events)));
      report(m_trace->append(std::span<const Prediction>(m_predictions)));
    }
    m_predictions.clear();
  }

  void assess(std::span<const NodeSample> samples, std::vector<Event>& events) {
    for (const NodeSample& s : samples) {
      assess(s, events);
    }
    if (!samples.empty()) {
      write_scores();
    }
  }

  // The node's failure-probability score after this sample; a "risk" event when it
  // first reaches the threshold, a "decision" event (and the migration asked for) when
  // the rules decide, for a node that holds ranks.
  void assess(const NodeSample& s, std::vector<Event>& events) {
    if (s.node < 0 || s.node >= static_cast<int>(m_header.nodes.size())) {
      return;
    }
    const std::string name(m_header.nodes[static_cast<std::size_t>(s.node)].name);
    const Assessment a = m_risk.observe(name, s);
    const bool decide = a.decide && s.node < m_rank_nodes;
    m_scores[name] = a.score;
    Prediction p;
    p.time = s.time;
    p.node = s.node;
    p.decided = decide ? 1 : 0;
    p.score = a.score;
    p.lead = std::isfinite(a.lead) ? a.lead : -1;
    set_text(p.reason, a.reason);
    m_predictions.push_back(p);
    bool& reported = m_at_risk[name];
    if (a.score >= m_config.risk.threshold && !reported) {
      Event e = make_event("risk", fmt::format("score {:.2f}: {}", a.score, a.reason));
      e.time = s.time;
      e.node = s.node;
      events.push_back(e);
      reported = true;
    } else if (a.score < m_config.risk.threshold / 2) {
      reported = false;
    }
    if (!decide) {
      return;
    }
    const std::string why = fmt::format("score {:.2f}; {}", a.score, a.reason);
    const bool asked = !m_config.migrate_request.empty() && ask_migration(name, why);
    Event e =
        make_event("decision", fmt::format("move the ranks of {} (score {:.2f} for {:.0f} s; {}){}",
                                           name, a.score, a.held, a.reason,
                                           asked ? "" : ": recorded only, no spare node is up"));
    e.time = s.time;
    e.node = s.node;
    events.push_back(e);
    logger("predictor")
        ->warn("node {} at risk ({}): {}", name, a.reason,
               asked ? "its ranks move to a spare" : "no spare to move to");
  }

  void write_scores() {
    if (m_config.scores.empty()) {
      return;
    }
    std::string text;
    for (const auto& [node, score] : m_scores) {
      text += fmt::format("{} {:.2f}\n", node, score);
    }
    (void)write_file_atomically(m_config.scores, text);
  }

  // The job's migration request, as ftmpi-ctl migrate leaves it ("-": any spare); none
  // when the launcher said no spare is up.
  // The decision is kept with its reasons, for the launcher (a node it moved the ranks
  // off on a prediction may be drained in the scheduler).
  bool ask_migration(const std::string& node, const std::string& why) {
    const std::filesystem::path dir = std::filesystem::path(m_config.migrate_request).parent_path();
    std::ifstream spares(dir / k_spares_file);
    int up = 1;
    if (spares >> up && up <= 0) {
      return false;
    }
    std::ofstream(dir / k_predictions_file, std::ios::app)
        << fmt::format("{:.3f}\t{}\t{}\n", wall_seconds(), node, why);
    return write_file_atomically(m_config.migrate_request,
                                 fmt::format("{} - {:.3f}\n", node, wall_seconds()))
        .ok();
  }

  void record(const std::vector<Event>& events) {
    if (m_trace) {
      report(m_trace->append(std::span<const Event>(events)));
    }
  }

  // Faults injected on this job's nodes since it started, as events of their node.
  void record_faults() {
    std::vector<Event> events;
    for (const FaultEntry& f : m_faults.read_new()) {
      if (f.time < m_header.start_time) {
        continue;
      }
      Event e = make_event("fault", f.text);
      e.time = f.time;
      for (const NodeInfo& n : m_header.nodes) {
        if (f.node == n.name) {
          e.node = n.node;
        }
      }
      events.push_back(e);
    }
    record(events);
  }

  void flush() {
    record_faults();
    if (m_trace) {
      report(m_trace->flush());
    }
  }

  // A trace error ends the trace (once, with a message), never the job.
  void report(const Status& status) {
    if (!status.ok() && m_trace) {
      logger("predictor")->error("{}; the trace stops here", status.message());
      m_trace.reset();
    }
  }

  [[nodiscard]] int node_of(int rank) const {
    return rank >= 0 && rank < static_cast<int>(m_node_of_rank.size())
               ? m_node_of_rank[static_cast<std::size_t>(rank)]
               : -1;
  }

  JobWorld& m_world;
  const CollectorConfig& m_config;
  std::vector<RankHello> m_hellos;
  std::vector<int> m_node_of_rank;
  int m_rank_nodes = 0;  // nodes 0.. hold ranks; the others are watched
  struct Watched {
    int node = -1;
    std::string file;  // the node daemon's latest sample
    double last = 0;   // the time of the last one taken
  };
  std::vector<Watched> m_watched;
  double m_last_watch = 0;
  TraceHeader m_header;
  std::unique_ptr<TraceWriter> m_trace;
  FaultLogReader m_faults{m_config.fault_log};
  RiskModel m_risk{m_config.risk, m_config.model};
  std::map<std::string, bool> m_at_risk;
  std::map<std::string, double> m_scores;
  std::vector<Prediction> m_predictions;  // of the batch being stored
};

}  // namespace

Status run_collector(JobWorld& world, const CollectorConfig& config) {
  Collector collector(world, config);
  return collector.run();
}

}  // namespace ftmpi
