#include "risk.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace ftmpi {

void HoltForecast::add(double time, double value) {
  if (m_count == 0) {
    m_level = value;
    m_slope = 0;
    m_time = time;
    m_count = 1;
    return;
  }
  const double dt = time - m_time;
  if (!(dt > 0)) {
    return;
  }
  const double predicted = m_level + m_slope * dt;
  const double level = m_alpha * value + (1 - m_alpha) * predicted;
  m_slope = m_beta * (level - m_level) / dt + (1 - m_beta) * m_slope;
  m_level = level;
  m_time = time;
  ++m_count;
}

double HoltForecast::time_to(double limit) const noexcept {
  if (!ready() || !(m_slope > 0)) {
    return std::numeric_limits<double>::infinity();
  }
  return std::max(0.0, (limit - m_level) / m_slope);
}

namespace {

constexpr double k_mib = 1024.0 * 1024.0;

// One resource's forecast: the time to its limit, and the words for it.
struct Forecast {
  double lead = std::numeric_limits<double>::infinity();
  std::string reason;
};

Forecast forecast(HoltForecast& f, double time, double value, double limit, const char* what,
                  const char* unit, double scale) {
  f.add(time, value);
  Forecast out;
  out.lead = f.time_to(limit);
  if (std::isfinite(out.lead)) {
    out.reason =
        fmt::format("{} {:.0f}/{:.0f} {}, {:+.1f} {}/s: at its limit in {:.1f} s", what,
                    f.level() / scale, limit / scale, unit, f.slope() / scale, unit, out.lead);
  }
  return out;
}

}  // namespace

Assessment RiskModel::observe(const std::string& node, const NodeSample& s) {
  NodeState& state = m_nodes[node];
  Assessment a;
  std::vector<Forecast> forecasts;
  if (s.cgroup_memory_limit > 0 && s.cgroup_memory_usage >= 0) {
    forecasts.push_back(forecast(state.memory, s.time, static_cast<double>(s.cgroup_memory_usage),
                                 static_cast<double>(s.cgroup_memory_limit), "memory", "MiB",
                                 k_mib));
  } else if (s.mem_total > 0 && s.mem_available >= 0) {
    forecasts.push_back(forecast(state.memory, s.time,
                                 static_cast<double>(s.mem_total - s.mem_available),
                                 static_cast<double>(s.mem_total), "memory", "MiB", k_mib));
  }
  if (s.disk_total > 0 && s.disk_free >= 0) {
    forecasts.push_back(forecast(state.disk, s.time,
                                 static_cast<double>(s.disk_total - s.disk_free),
                                 static_cast<double>(s.disk_total), "disk", "MiB", k_mib));
  }
  if (s.temperature_max > 0) {
    forecasts.push_back(forecast(state.temperature, s.time, s.temperature_max,
                                 m_policy.trip_celsius, "temperature", "C", 1.0));
  }
  for (const Forecast& f : forecasts) {
    if (f.lead < a.lead) {
      a.lead = f.lead;
      a.reason = f.reason;
    }
  }
  if (std::isfinite(a.lead)) {
    a.score = std::clamp(1 - a.lead / m_policy.horizon, 0.0, 1.0);
  }
  if (s.edac_uncorrected > 0) {
    // The node's memory is failing now: no forecast needed, and no time to wait for.
    a.score = 1;
    a.lead = m_policy.horizon;
    a.reason = fmt::format("{} uncorrected memory errors", s.edac_uncorrected);
  }
  if (a.score < m_policy.threshold) {
    state.over_since = -1;
  } else if (state.over_since < 0) {
    state.over_since = s.time;
  }
  const bool persisted = state.over_since >= 0 &&
                         s.time - state.over_since >= m_policy.windows * m_policy.window - 1e-9;
  a.decide = !state.settled && persisted && a.lead > m_policy.migration_cost;
  if (a.decide) {
    state.settled = true;
  }
  return a;
}

}  // namespace ftmpi
