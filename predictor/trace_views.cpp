#include "trace_views.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <string_view>

#include <fmt/format.h>

namespace ftmpi {
namespace {

constexpr double k_mib = 1024.0 * 1024.0;

double sum_array(const double* values, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s += values[i];
  }
  return s;
}

std::int64_t sum_array(const std::int64_t* values, std::size_t n) {
  std::int64_t s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    s += values[i];
  }
  return s;
}

// The rows whose `key` column equals `value`, in trace order.
template <class Row>
std::vector<Row> rows_where(const std::vector<Row>& rows, std::int32_t Row::*key, int value) {
  std::vector<Row> out;
  std::copy_if(rows.begin(), rows.end(), std::back_inserter(out),
               [&](const Row& row) { return row.*key == value; });
  return out;
}

std::vector<RankSample> samples_of_rank(const TraceContents& t, int rank) {
  return rows_where(t.rank_samples, &RankSample::rank, rank);
}

std::vector<NodeSample> samples_of_node(const TraceContents& t, int node) {
  return rows_where(t.node_samples, &NodeSample::node, node);
}

double end_time(const TraceContents& t) {
  double end = t.header.start_time;
  for (const RankSample& s : t.rank_samples) {
    end = std::max(end, s.time);
  }
  for (const Event& e : t.events) {
    end = std::max(end, e.time);
  }
  return end;
}

// "N node(s)", and "+ M without ranks" (spares, sampled by their node daemons).
std::string nodes_in_words(const TraceHeader& h) {
  std::set<int> with_ranks;
  for (const auto& r : h.ranks) {
    with_ranks.insert(r.node);
  }
  const std::size_t others = h.nodes.size() - std::min(h.nodes.size(), with_ranks.size());
  return fmt::format("{} node(s){}", with_ranks.size(),
                     others > 0 ? fmt::format(" (+{} without ranks)", others) : std::string());
}

std::string text_or_dash(double value, const char* format) {
  return value < 0 ? std::string("-") : fmt::format(fmt::runtime(format), value);
}

}  // namespace

std::string trace_summary(const TraceContents& t) {
  std::string out;
  const TraceHeader& h = t.header;
  const double duration = end_time(t) - h.start_time;
  out += fmt::format("job       {}\n", h.command);
  out += fmt::format("mode      {}, ftmpi {}\n", h.mode, h.ftmpi_version);
  out += fmt::format("ranks     {} on {}\n", h.ranks.size(), nodes_in_words(h));
  out += fmt::format("duration  {:.1f} s, sampled every {} s ({} rank samples, {} node samples)\n",
                     duration, h.sample_interval, t.rank_samples.size(), t.node_samples.size());
  out += fmt::format("counters  {}\n\n", h.papi.empty() ? "-" : h.papi);

  out +=
      fmt::format("{:<4} {:<20} {:>5} {:>10} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7}\n", "node", "name",
                  "ranks", "min avail", "cpu busy", "psi mem", "psi io", "edac", "net err", "temp");
  out += fmt::format("{:<4} {:<20} {:>5} {:>10} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7}\n", "", "", "",
                     "MiB", "mean %", "max %", "max %", "ce+ue", "+drops", "max C");
  for (const NodeInfo& node : h.nodes) {
    const auto rows = samples_of_node(t, node.node);
    const auto ranks = std::count_if(h.ranks.begin(), h.ranks.end(),
                                     [&](const RankInfo& r) { return r.node == node.node; });
    double min_avail = -1;
    double busy_sum = 0;
    int busy_n = 0;
    double psi_mem = -1;
    double psi_io = -1;
    double temp = -1;
    std::int64_t edac = -1;
    std::int64_t net = -1;
    for (const NodeSample& s : rows) {
      if (s.mem_available >= 0) {
        const double avail = static_cast<double>(s.mem_available) / k_mib;
        min_avail = min_avail < 0 ? avail : std::min(min_avail, avail);
      }
      if (s.cpu_busy >= 0) {
        busy_sum += s.cpu_busy;
        ++busy_n;
      }
      psi_mem = std::max(psi_mem, s.psi_memory_some);
      psi_io = std::max(psi_io, s.psi_io_some);
      temp = std::max(temp, s.temperature_max);
      if (s.edac_corrected >= 0) {
        edac = s.edac_corrected + std::max<std::int64_t>(s.edac_uncorrected, 0);
      }
      if (s.net_errors >= 0) {
        net = s.net_errors + std::max<std::int64_t>(s.net_drops, 0);
      }
    }
    out += fmt::format("{:<4} {:<20} {:>5} {:>10} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7}\n", node.node,
                       node.name, ranks, text_or_dash(min_avail, "{:.0f}"),
                       busy_n == 0 ? "-" : fmt::format("{:.1f}", 100 * busy_sum / busy_n),
                       text_or_dash(psi_mem, "{:.2f}"), text_or_dash(psi_io, "{:.2f}"),
                       edac < 0 ? "-" : std::to_string(edac), net < 0 ? "-" : std::to_string(net),
                       text_or_dash(temp, "{:.1f}"));
  }
  out += "\n";
  out +=
      fmt::format("{:<5} {:<4} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6} {:>10} {:>10}\n", "rank", "node",
                  "pid", "cpu", "cpu", "peak rss", "faults", "mpi", "mpi calls", "mpi sent");
  out += fmt::format("{:<5} {:<4} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6} {:>10} {:>10}\n", "", "", "",
                     "s", "%", "MiB", "minor", "time %", "", "MiB");
  for (const RankInfo& info : h.ranks) {
    const auto rows = samples_of_rank(t, info.rank);
    if (rows.empty()) {
      out += fmt::format("{:<5} {:<4} {:>8}   (no samples)\n", info.rank, info.node, info.pid);
      continue;
    }
    const RankSample& first = rows.front();
    const RankSample& last = rows.back();
    const double span = std::max(last.time - first.time, 1e-9);
    const double cpu = last.cpu_user + last.cpu_system;
    const double cpu_pct = 100 * (cpu - first.cpu_user - first.cpu_system) / span;
    std::int64_t peak = 0;
    for (const RankSample& s : rows) {
      peak = std::max(peak, s.rss_bytes);
    }
    const double mpi_time =
        sum_array(last.mpi_seconds, k_mpi_classes) - sum_array(first.mpi_seconds, k_mpi_classes);
    out += fmt::format(
        "{:<5} {:<4} {:>8} {:>8.2f} {:>6.1f} {:>9.1f} {:>9} {:>6.1f} {:>10} {:>10.2f}\n", info.rank,
        info.node, info.pid, cpu, rows.size() > 1 ? cpu_pct : 0.0,
        static_cast<double>(peak) / k_mib, last.minor_faults,
        rows.size() > 1 ? 100 * mpi_time / span : 0.0, sum_array(last.mpi_calls, k_mpi_classes),
        static_cast<double>(sum_array(last.mpi_bytes, k_mpi_classes)) / k_mib);
  }
  if (!t.checkpoints.empty()) {
    out += "\ncheckpoints and restarts (per rank, ms)\n";
    out += fmt::format("{:<10} {:>6} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "kind",
                       "epoch", "rank", "quiesce", "dump", "write", "restore", "rebuild", "total",
                       "MiB");
    for (const CheckpointRecord& c : t.checkpoints) {
      out += fmt::format(
          "{:<10} {:>6} {:>5} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>10.1f}\n",
          c.kind, c.epoch, c.rank, c.quiesce_ms, c.dump_ms, c.write_ms, c.restore_ms, c.rebuild_ms,
          c.total_ms, static_cast<double>(c.bytes) / k_mib);
    }
  }
  out += "\nevents\n";
  for (const Event& e : t.events) {
    std::string who;
    if (e.node >= 0) {
      who += fmt::format(" node {}", e.node);
    }
    if (e.rank >= 0) {
      who += fmt::format(" rank {}", e.rank);
    }
    out +=
        fmt::format("  {:>8.2f} s  {:<12}{}  {}\n", e.time - h.start_time, e.kind, who, e.detail);
  }
  return out;
}

namespace {

void csv_field(std::string& out, const void* row, const Field& f, double start) {
  const auto* base = static_cast<const char*>(row) + f.offset;
  switch (f.type) {
    case FieldType::int32:
    case FieldType::int64:
      out += field_text(row, f);
      break;
    case FieldType::float64: {
      double v = 0;
      std::memcpy(&v, base, sizeof v);
      out += fmt::format("{}", f.name == "time" ? v - start : v);
      break;
    }
    case FieldType::text: {
      const std::string_view text(base, strnlen(base, f.size));
      out += '"';
      for (const char c : text) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
      }
      out += '"';
      break;
    }
  }
}

template <class T>
std::string csv_table(const std::vector<T>& rows, std::span<const Field> fields, double start) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out += (i == 0 ? "" : ",") + std::string(fields[i].name);
  }
  out += '\n';
  for (const T& row : rows) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i != 0) {
        out += ',';
      }
      csv_field(out, &row, fields[i], start);
    }
    out += '\n';
  }
  return out;
}

}  // namespace

std::string trace_csv(const TraceContents& t, ExportTable table) {
  switch (table) {
    case ExportTable::ranks:
      return csv_table(t.rank_samples, rank_sample_fields(), t.header.start_time);
    case ExportTable::nodes:
      return csv_table(t.node_samples, node_sample_fields(), t.header.start_time);
    case ExportTable::events:
      return csv_table(t.events, event_fields(), t.header.start_time);
    case ExportTable::checkpoints:
      return csv_table(t.checkpoints, checkpoint_fields(), t.header.start_time);
    case ExportTable::predictions:
      return csv_table(t.predictions, prediction_fields(), t.header.start_time);
  }
  return {};
}

namespace {

constexpr std::string_view k_palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (seconds since start, value)
};

struct Panel {
  std::string title;
  std::vector<Series> series;
};

// A "nice" step for about `count` ticks over `range` (1, 2 or 5 times a power of ten).
double nice_step(double range, int count) {
  const double raw = range / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) {
      return m * power;
    }
  }
  return 10 * power;
}

std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Per-rank series of f(previous, current) over consecutive samples.
template <class F>
std::vector<Series> rank_series(const TraceContents& t, F value) {
  std::vector<Series> out;
  for (const RankInfo& info : t.header.ranks) {
    Series s{fmt::format("rank {}", info.rank), {}};
    const auto rows = samples_of_rank(t, info.rank);
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const double v = value(rows[i - 1], rows[i]);
      if (std::isfinite(v)) {
        s.points.emplace_back(rows[i].time - t.header.start_time, v);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

template <class F>
std::vector<Series> node_series(const TraceContents& t, F value) {
  std::vector<Series> out;
  for (const NodeInfo& info : t.header.nodes) {
    Series s{info.name, {}};
    for (const NodeSample& row : samples_of_node(t, info.node)) {
      const double v = value(row);
      if (v >= 0) {
        s.points.emplace_back(row.time - t.header.start_time, v);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::string trace_svg(const TraceContents& t) {
  // Per cent of one interval, clamped to [0, 100]: MPI_Init's wait for every process
  // lands in the first interval although it began before the first sample.
  const auto rate = [](double before, double after, double dt) {
    return dt > 0 ? std::clamp((after - before) / dt, 0.0, 1.0)
                  : std::numeric_limits<double>::quiet_NaN();
  };
  std::vector<Panel> panels;
  panels.push_back(
      {"CPU use per rank (%)", rank_series(t, [&](const RankSample& a, const RankSample& b) {
         return 100 * rate(a.cpu_user + a.cpu_system, b.cpu_user + b.cpu_system, b.time - a.time);
       })});
  panels.push_back(
      {"Resident memory per rank (MiB)", rank_series(t, [](const RankSample&, const RankSample& b) {
         return static_cast<double>(b.rss_bytes) / k_mib;
       })});
  panels.push_back(
      {"Time in MPI per rank (%)", rank_series(t, [&](const RankSample& a, const RankSample& b) {
         return 100 * rate(sum_array(a.mpi_seconds, k_mpi_classes),
                           sum_array(b.mpi_seconds, k_mpi_classes), b.time - a.time);
       })});
  panels.push_back({"Node memory available (MiB)", node_series(t, [](const NodeSample& s) {
                      return s.mem_available < 0 ? -1.0
                                                 : static_cast<double>(s.mem_available) / k_mib;
                    })});
  panels.push_back({"Node CPU busy (%)", node_series(t, [](const NodeSample& s) {
                      return s.cpu_busy < 0 ? -1.0 : 100 * s.cpu_busy;
                    })});
  panels.push_back({"Node memory pressure (PSI some, avg10 %)",
                    node_series(t, [](const NodeSample& s) { return s.psi_memory_some; })});

  const double duration = std::max(end_time(t) - t.header.start_time, 1.0);
  constexpr double k_width = 1000;
  constexpr double k_left = 70;
  constexpr double k_right = 150;
  constexpr double k_top = 50;
  constexpr double k_panel_height = 150;
  constexpr double k_gap = 45;
  const double plot_width = k_width - k_left - k_right;
  const double height = k_top + static_cast<double>(panels.size()) * (k_panel_height + k_gap) + 20;
  const auto x_of = [&](double seconds) { return k_left + plot_width * seconds / duration; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n"
      "<text x=\"{}\" y=\"38\" fill=\"#555\">{} ranks on {}, {:.1f} s, sampled every {} "
      "s</text>\n",
      k_width, height, k_left, escape(t.header.command), k_left, t.header.ranks.size(),
      nodes_in_words(t.header), duration, t.header.sample_interval);

  const double x_step = nice_step(duration, 8);
  for (std::size_t p = 0; p < panels.size(); ++p) {
    const Panel& panel = panels[p];
    const double y0 = k_top + static_cast<double>(p) * (k_panel_height + k_gap) + 20;
    double vmax = 0;
    for (const Series& s : panel.series) {
      for (const auto& [x, v] : s.points) {
        vmax = std::max(vmax, v);
      }
    }
    vmax = vmax <= 0 ? 1 : vmax * 1.05;
    const double y_step = nice_step(vmax, 4);
    vmax = std::ceil(vmax / y_step) * y_step;
    const auto y_of = [&](double v) { return y0 + k_panel_height * (1 - v / vmax); };
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" font-weight=\"bold\">{}</text>\n", k_left,
                       y0 - 6, escape(panel.title));
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n",
        k_left, y0, plot_width, k_panel_height);
    const int y_ticks = static_cast<int>(std::lround(vmax / y_step));
    for (int tick = 0; tick <= y_ticks; ++tick) {
      const double v = tick * y_step;
      svg += fmt::format(
          "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
          "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n",
          k_left, k_left + plot_width, y_of(v), y_of(v), k_left - 5, y_of(v) + 4, v);
    }
    const int x_ticks = static_cast<int>(std::floor(duration / x_step + 0.5));
    for (int tick = 0; tick <= x_ticks; ++tick) {
      const double x = tick * x_step;
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:g} s</text>\n",
                         x_of(x), y0 + k_panel_height + 14, x);
    }
    if (panel.series.empty() || std::all_of(panel.series.begin(), panel.series.end(),
                                            [](const Series& s) { return s.points.empty(); })) {
      svg += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#999\">"
          "not available</text>\n",
          k_left + plot_width / 2, y0 + k_panel_height / 2);
    }
    for (std::size_t i = 0; i < panel.series.size(); ++i) {
      const Series& s = panel.series[i];
      const std::string_view color = k_palette[i % std::size(k_palette)];
      std::string points;
      for (const auto& [x, v] : s.points) {
        points += fmt::format("{:.1f},{:.1f} ", x_of(x), y_of(v));
      }
      if (!points.empty()) {
        svg += fmt::format(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", color,
            points);
      }
      if (i < 12) {
        const double ly = y0 + 12 + static_cast<double>(i) * 14;
        svg += fmt::format(
            "<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
            "stroke-width=\"3\"/><text x=\"{}\" y=\"{:.1f}\">{}</text>\n",
            k_left + plot_width + 10, k_left + plot_width + 28, ly - 4, ly - 4, color,
            k_left + plot_width + 33, ly, escape(s.label));
      }
    }
    // Events as dashed lines across the panel.
    for (const Event& e : t.events) {
      const double x = x_of(e.time - t.header.start_time);
      svg += fmt::format(
          "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#444\" "
          "stroke-dasharray=\"4,3\"><title>{}: {}</title></line>\n",
          x, x, y0, y0 + k_panel_height, escape(e.kind), escape(e.detail));
      if (p == 0) {
        svg += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#444\" font-size=\"10\" "
            "transform=\"rotate(-90 {:.1f} {:.1f})\">{}</text>\n",
            x + 10, y0 + k_panel_height - 4, x + 10, y0 + k_panel_height - 4, escape(e.kind));
      }
    }
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace ftmpi
