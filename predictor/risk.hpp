// The predictor's rule-based assessment of each node (docs/predictor.md): a forecaster
// per resource (Holt's linear trend: level and slope, updated at every sample) gives
// the time until the node's memory (its cgroup's limit, else the machine's), its
// local disk or its temperature (the trip point) reaches its limit; the node's
// failure-probability score grows as that time shrinks below a horizon, and an
// uncorrected memory error makes it 1.  A decision to move the node's ranks is taken
// when the score stays at or over the threshold for k consecutive windows (of a few
// seconds each: a burst that stops is no fault) and the forecast still leaves more
// time than a migration costs.  The learned classifier will
// take the score's place; the rules stay as the fallback when no model is given.
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>

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

struct RiskPolicy {
  double horizon = 120;       // seconds: a limit further away scores 0
  double threshold = 0.5;     // score at or over which a window counts
  int windows = 3;            // k consecutive windows before a decision
  double window = 2;          // seconds per window
  double migration_cost = 5;  // seconds a migration needs: less lead than this, no decision
  double trip_celsius = 95;   // the temperature limit
};

struct Assessment {
  double score = 0;                                       // 0..1
  double lead = std::numeric_limits<double>::infinity();  // seconds to the nearest limit
  std::string reason;                                     // what drives the score
  bool decide = false;  // this sample completes the k windows: move the node's ranks
};

class RiskModel {
 public:
  explicit RiskModel(RiskPolicy policy) : m_policy(policy) {}
  // One node sample of node `node`; returns its assessment after it.
  Assessment observe(const std::string& node, const NodeSample& sample);
  // The node's ranks were moved (or it is excluded): no further decision for it.
  void settle(const std::string& node) { m_nodes[node].settled = true; }
  [[nodiscard]] const RiskPolicy& policy() const noexcept { return m_policy; }

 private:
  struct NodeState {
    HoltForecast memory{0.6, 0.4};
    HoltForecast disk{0.6, 0.4};
    HoltForecast temperature{0.6, 0.4};
    double over_since = -1;  // when the score last reached the threshold (-1: it is under)
    bool settled = false;
  };
  RiskPolicy m_policy;
  std::map<std::string, NodeState> m_nodes;
};

}  // namespace ftmpi
