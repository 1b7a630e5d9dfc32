#include "features.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "util/cgroup_memory.hpp"

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

std::string_view feature_name(Feature f) noexcept {
  static constexpr std::array<std::string_view, k_feature_count> k_names = {
      "memory_used",     "memory_slope", "memory_lead",     "memory_rising",     "disk_used",
      "disk_slope",      "disk_lead",    "temperature",     "temperature_slope", "temperature_lead",
      "ecc_rate_10",     "ecc_rate_60",  "ecc_uncorrected", "nic_errors_10",     "nic_errors_60",
      "nic_drops_10",    "cpu_busy",     "load1",           "psi_cpu",           "psi_memory",
      "psi_memory_full", "psi_io",       "nearest_lead",    "memory_rate_5",     "disk_rate_5"};
  const auto i = static_cast<std::size_t>(f);
  return i < k_names.size() ? k_names[i] : std::string_view("?");
}

namespace {

constexpr double k_mib = 1024.0 * 1024.0;
constexpr double k_history = 60;  // seconds of counters kept for rates
// A forecast still holds when its resource rose over the last k_rise_span seconds by at
// least k_rise_share of what the forecast's slope gives.
constexpr double k_rise_span = 1;
constexpr double k_rise_share = 0.25;
const float k_missing = std::numeric_limits<float>::quiet_NaN();

float value_or_missing(double v) {
  return v >= 0 ? static_cast<float>(v) : k_missing;
}

}  // namespace

float NodeFeatures::rate(double Counters::*counter, double seconds) const {
  if (m_history.size() < 2) {
    return 0;
  }
  const Counters& now = m_history.back();
  const Counters* from = &m_history.front();
  for (const Counters& c : m_history) {
    if (c.time >= now.time - seconds - 1e-6) {
      from = &c;
      break;
    }
  }
  const double dt = now.time - from->time;
  return dt > 0 ? static_cast<float>((now.*counter - from->*counter) / dt) : 0.0F;
}

// One resource: its used fraction, its slope (fraction per second) and the time until
// it reaches `limit`; the nearest of those times is the node's lead.
bool NodeFeatures::rises_as_forecast(double Counters::*counter, double slope) const {
  const Counters& now = m_history.back();
  // The newest level at least k_rise_span old.
  const auto from = std::find_if(m_history.rbegin(), m_history.rend(), [&](const Counters& c) {
    return c.time <= now.time - k_rise_span + 1e-6;
  });
  if (from == m_history.rend()) {
    return true;
  }
  const double span = now.time - from->time;
  return now.*counter - (*from).*counter >= k_rise_share * slope * span;
}

void NodeFeatures::forecast(HoltForecast& f, double Counters::*counter, double value, double limit,
                            Feature used, Feature slope, Feature lead, const char* what,
                            const char* unit, double scale) {
  f.add(m_time, value);
  const double to = f.time_to(limit);
  m_features[static_cast<std::size_t>(used)] = static_cast<float>(value / limit);
  m_features[static_cast<std::size_t>(slope)] = static_cast<float>(f.slope() / limit);
  m_features[static_cast<std::size_t>(lead)] = static_cast<float>(std::min(to, k_lead_cap));
  if (to < m_lead && to < k_lead_cap) {  // an hour away or more: not heading there
    m_lead = to;
    m_lead_counter = counter;
    m_lead_slope = f.slope() / limit;
    m_lead_reason =
        fmt::format("{} {:.0f}/{:.0f} {}, {:+.1f} {}/s: at its limit in {:.1f} s", what,
                    f.level() / scale, limit / scale, unit, f.slope() / scale, unit, to);
  }
}

const FeatureVector& NodeFeatures::update(const NodeSample& s) {
  m_time = s.time;
  m_features.fill(k_missing);
  m_lead = std::numeric_limits<double>::infinity();
  m_lead_reason.clear();
  m_lead_counter = nullptr;
  // The cgroup's working set: its usage less the file cache the kernel reclaims first
  // (a node writing a trace or a checkpoint comes no closer to an OOM).
  if (s.cgroup_memory_limit > 0 && s.cgroup_memory_usage >= 0) {
    forecast(m_memory, &Counters::memory,
             static_cast<double>(
                 memory_working_set(s.cgroup_memory_usage, s.cgroup_memory_inactive_file)),
             static_cast<double>(s.cgroup_memory_limit), Feature::memory_used,
             Feature::memory_slope, Feature::memory_lead, "memory", "MiB", k_mib);
  } else if (s.mem_total > 0 && s.mem_available >= 0) {
    forecast(m_memory, &Counters::memory, static_cast<double>(s.mem_total - s.mem_available),
             static_cast<double>(s.mem_total), Feature::memory_used, Feature::memory_slope,
             Feature::memory_lead, "memory", "MiB", k_mib);
  }
  // Rising: the forecast's slope upward by more than 0.01 % of the limit per second.
  const float slope = at(m_features, Feature::memory_slope);
  if (!(slope > 1e-4F)) {
    m_rising_since = -1;
  } else if (m_rising_since < 0) {
    m_rising_since = s.time;
  }
  m_features[static_cast<std::size_t>(Feature::memory_rising)] =
      m_rising_since < 0 ? 0.0F : static_cast<float>(std::min(s.time - m_rising_since, 600.0));
  if (s.disk_total > 0 && s.disk_free >= 0) {
    forecast(m_disk, &Counters::disk, static_cast<double>(s.disk_total - s.disk_free),
             static_cast<double>(s.disk_total), Feature::disk_used, Feature::disk_slope,
             Feature::disk_lead, "disk", "MiB", k_mib);
  }
  if (s.temperature_max > 0) {
    forecast(m_temperature, &Counters::temperature, s.temperature_max, m_trip, Feature::temperature,
             Feature::temperature_slope, Feature::temperature_lead, "temperature", "C", 1.0);
    // The temperature itself, not its fraction of the trip point; its slope in C/s.
    m_features[static_cast<std::size_t>(Feature::temperature)] =
        static_cast<float>(s.temperature_max);
    m_features[static_cast<std::size_t>(Feature::temperature_slope)] =
        static_cast<float>(m_temperature.slope());
  }
  const float memory = at(m_features, Feature::memory_used);
  const float disk = at(m_features, Feature::disk_used);
  m_history.push_back({s.time, static_cast<double>(std::max<std::int64_t>(s.edac_corrected, 0)),
                       static_cast<double>(std::max<std::int64_t>(s.net_errors, 0)),
                       static_cast<double>(std::max<std::int64_t>(s.net_drops, 0)),
                       std::isnan(memory) ? 0.0 : memory, std::isnan(disk) ? 0.0 : disk,
                       s.temperature_max > 0 ? s.temperature_max / m_trip : 0.0});
  while (m_history.size() > 2 && m_history.front().time < s.time - k_history - 1e-6) {
    m_history.pop_front();
  }
  m_lead_rising = m_lead_counter == nullptr || rises_as_forecast(m_lead_counter, m_lead_slope);
  auto set = [this](Feature f, float v) { m_features[static_cast<std::size_t>(f)] = v; };
  if (s.edac_corrected >= 0) {
    set(Feature::ecc_rate_10, rate(&Counters::ecc, 10));
    set(Feature::ecc_rate_60, rate(&Counters::ecc, k_history));
  }
  set(Feature::ecc_uncorrected, value_or_missing(static_cast<double>(s.edac_uncorrected)));
  if (s.net_errors >= 0) {
    set(Feature::nic_errors_10, rate(&Counters::nic_errors, 10));
    set(Feature::nic_errors_60, rate(&Counters::nic_errors, k_history));
  }
  if (s.net_drops >= 0) {
    set(Feature::nic_drops_10, rate(&Counters::nic_drops, 10));
  }
  set(Feature::cpu_busy, value_or_missing(s.cpu_busy));
  set(Feature::load1, value_or_missing(s.load1));
  set(Feature::psi_cpu, value_or_missing(s.psi_cpu_some));
  set(Feature::psi_memory, value_or_missing(s.psi_memory_some));
  set(Feature::psi_memory_full, value_or_missing(s.psi_memory_full));
  set(Feature::psi_io, value_or_missing(s.psi_io_some));
  set(Feature::nearest_lead, static_cast<float>(std::min(m_lead, k_lead_cap)));
  if (!std::isnan(memory)) {
    set(Feature::memory_rate_5, rate(&Counters::memory, 5));
  }
  if (!std::isnan(disk)) {
    set(Feature::disk_rate_5, rate(&Counters::disk, 5));
  }
  return m_features;
}

}  // namespace ftmpi
