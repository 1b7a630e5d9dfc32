// What the predictor knows of a node after each of its samples: one vector of features
// (docs/predictor.md, "Features"), the same online (the hidden rank) and offline
// (ftmpi-train, ftmpi-eval), so that a model sees in a job exactly what it was trained
// on.  Forecasts of the time until memory, local disk and temperature reach their limits
// (Holt's linear trend per resource), error rates over the last 10 and 60 seconds
// (memory errors, NIC errors and drops), CPU, load and pressure as sampled.  A value a
// node does not have (no thermal zone, no cgroup) is NaN: the classifier takes it as
// missing.
#pragma once

#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <string>
#include <string_view>

#include "telemetry/samples.hpp"

namespace ftmpi {

// Holt's linear trend on an irregular time axis.
class HoltForecast {
 public:
  HoltForecast(double alpha, double beta) : m_alpha(alpha), m_beta(beta) {}
  void add(double time, double value);
  [[nodiscard]] bool ready() const noexcept { return m_count >= 4; }
  [[nodiscard]] double level() const noexcept { return m_level; }
  [[nodiscard]] double slope() const noexcept { return m_slope; }  // per second
  // Seconds until the series reaches `limit` (infinity if it is not heading there).
  [[nodiscard]] double time_to(double limit) const noexcept;

 private:
  double m_alpha;
  double m_beta;
  double m_level = 0;
  double m_slope = 0;
  double m_time = 0;
  int m_count = 0;
};

// The features, in the order of a feature vector (and of a model's columns).
enum class Feature : std::uint8_t {
  memory_used,        // fraction of the node's memory limit (its cgroup's, else the machine's)
  memory_slope,       // fraction per second (forecast)
  memory_lead,        // seconds until the limit (forecast; k_lead_cap if not heading there)
  memory_rising,      // seconds the memory has been rising without pause
  disk_used,          // fraction of the node-local file system
  disk_slope,         // fraction per second
  disk_lead,          // seconds until full
  temperature,        // hottest zone, C
  temperature_slope,  // C per second
  temperature_lead,   // seconds until the trip point
  ecc_rate_10,        // corrected memory errors per second, last 10 s
  ecc_rate_60,        // the same over 60 s
  ecc_uncorrected,    // uncorrected memory errors so far
  nic_errors_10,      // NIC errors per second, last 10 s
  nic_errors_60,      // the same over 60 s
  nic_drops_10,       // NIC drops per second, last 10 s
  cpu_busy,           // fraction of the machine's CPUs busy
  load1,              // load average
  psi_cpu,            // /proc/pressure cpu some avg10, %
  psi_memory,         // memory some avg10, %
  psi_memory_full,    // memory full avg10, %
  psi_io,             // io some avg10, %
  nearest_lead,       // the smallest of the three leads
  memory_rate_5,      // fraction per second over the last 5 s, unsmoothed: a burst that stopped
  disk_rate_5,        // the same for the disk
  count
};
inline constexpr std::size_t k_feature_count = static_cast<std::size_t>(Feature::count);
using FeatureVector = std::array<float, k_feature_count>;
// Leads are capped here (an hour): "not heading for its limit".
inline constexpr double k_lead_cap = 3600;

// The features the classifier reads: trends, forecasts and rates, not levels.  How
// full a healthy node's memory or disk is, how warm it runs, and the machine-wide CPU
// and pressure figures differ from site to site and from any corpus; a model that
// learned them would take a full but steady disk for a failure.  Levels still count
// through the forecasts (the time to a limit), and they explain scores in words.
inline constexpr std::array k_model_features = {
    Feature::memory_slope,  Feature::memory_lead,       Feature::memory_rising,
    Feature::memory_rate_5, Feature::disk_slope,        Feature::disk_lead,
    Feature::disk_rate_5,   Feature::temperature_slope, Feature::temperature_lead,
    Feature::ecc_rate_10,   Feature::ecc_rate_60,       Feature::nic_errors_10,
    Feature::nic_errors_60, Feature::nic_drops_10,      Feature::nearest_lead};
inline constexpr std::size_t k_model_columns = k_model_features.size();
using ModelRow = std::array<float, k_model_columns>;

std::string_view feature_name(Feature f) noexcept;
[[nodiscard]] inline float at(const FeatureVector& v, Feature f) noexcept {
  return v[static_cast<std::size_t>(f)];
}
// The classifier's columns of a feature vector.  What a node has no sensor for gives
// no evidence: a lead of k_lead_cap ("not heading for a limit"), a rate or slope of 0.
// (A model never learns what "missing" means on nodes unlike its corpus: many nodes
// have no EDAC, thermal zone or NIC counters readable.)
[[nodiscard]] inline ModelRow model_row(const FeatureVector& v) noexcept {
  ModelRow row{};
  for (std::size_t i = 0; i < k_model_columns; ++i) {
    const Feature f = k_model_features[i];
    const float value = at(v, f);
    const bool lead = f == Feature::memory_lead || f == Feature::disk_lead ||
                      f == Feature::temperature_lead || f == Feature::nearest_lead;
    row[i] = !std::isnan(value) ? value : lead ? static_cast<float>(k_lead_cap) : 0.0F;
  }
  return row;
}

// One node's features, sample after sample.
class NodeFeatures {
 public:
  explicit NodeFeatures(double trip_celsius = 95) : m_trip(trip_celsius) {}
  // Takes the node's next sample; returns its features after it.
  const FeatureVector& update(const NodeSample& sample);
  [[nodiscard]] const FeatureVector& features() const noexcept { return m_features; }
  // Seconds until the nearest limit (infinity when no resource is within an hour of it), and what
  // it is, in words ("memory 431/800 MiB, +38.9 MiB/s: at its limit in 14.2 s").
  [[nodiscard]] double lead() const noexcept { return m_lead; }
  [[nodiscard]] const std::string& lead_reason() const noexcept { return m_lead_reason; }
  // Whether the resource of the nearest limit still rises as its forecast says: over
  // the last second or more by at least a quarter of the forecast's slope (true while
  // that is not yet known).  A burst that stopped leaves a steep forecast behind for a
  // while, but the level itself no longer moves.
  [[nodiscard]] bool lead_still_rising() const noexcept { return m_lead_rising; }
  [[nodiscard]] double time() const noexcept { return m_time; }

 private:
  struct Counters {
    double time = 0;
    double ecc = 0;
    double nic_errors = 0;
    double nic_drops = 0;
    double memory = 0;  // used fractions
    double disk = 0;
    double temperature = 0;  // fraction of the trip point
  };
  // Per-second rate of a counter over the last `seconds` of history.
  [[nodiscard]] float rate(double Counters::*counter, double seconds) const;
  // Whether `counter` rose over the last second or more of history by at least a share
  // of `slope` (fraction per second); true while the history is shorter.
  [[nodiscard]] bool rises_as_forecast(double Counters::*counter, double slope) const;
  // `counter`: the resource's used fraction in the history, for lead_still_rising().
  void forecast(HoltForecast& f, double Counters::*counter, double value, double limit,
                Feature used, Feature slope, Feature lead, const char* what, const char* unit,
                double scale);

  double m_trip;
  HoltForecast m_memory{0.6, 0.4};
  HoltForecast m_disk{0.6, 0.4};
  HoltForecast m_temperature{0.6, 0.4};
  std::deque<Counters> m_history;  // the last 60 s
  double m_time = 0;
  double m_rising_since = -1;
  double m_lead = std::numeric_limits<double>::infinity();
  std::string m_lead_reason;
  double Counters::*m_lead_counter = nullptr;  // the resource of the nearest limit
  double m_lead_slope = 0;                     // its forecast's slope, fraction per second
  bool m_lead_rising = true;
  FeatureVector m_features{};
};

}  // namespace ftmpi
