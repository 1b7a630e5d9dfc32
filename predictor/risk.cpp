#include "risk.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace ftmpi {

std::string describe_features(const FeatureVector& v) {
  std::vector<std::string> parts;
  auto positive = [&v](Feature f) { return at(v, f) > 0; };  // false for NaN
  if (positive(Feature::ecc_rate_60)) {
    parts.push_back(fmt::format("corrected memory errors {:+.1f}/s", at(v, Feature::ecc_rate_60)));
  }
  if (positive(Feature::nic_errors_60)) {
    parts.push_back(fmt::format("NIC errors {:+.1f}/s", at(v, Feature::nic_errors_60)));
  }
  if (positive(Feature::temperature_slope) && at(v, Feature::temperature_slope) > 0.05F) {
    parts.push_back(fmt::format("temperature {:.1f} C, {:+.2f} C/s", at(v, Feature::temperature),
                                at(v, Feature::temperature_slope)));
  }
  if (positive(Feature::memory_rising)) {
    parts.push_back(fmt::format("memory {:.0f} % of its limit, rising for {:.0f} s",
                                100 * at(v, Feature::memory_used), at(v, Feature::memory_rising)));
  }
  if (parts.empty()) {
    return "no single cause";
  }
  std::string text = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) {
    text += "; " + parts[i];
  }
  return text;
}

RiskModel::NodeState& RiskModel::state_of(const std::string& node) {
  auto it = m_nodes.find(node);
  if (it == m_nodes.end()) {
    it = m_nodes.emplace(node, NodeState(m_policy.trip_celsius)).first;
  }
  return it->second;
}

double hold_needed(const RiskPolicy& policy, double lead) noexcept {
  const double windows = policy.windows * policy.window;
  if (!std::isfinite(lead)) {
    return windows;
  }
  return std::max(windows,
                  std::min(policy.patience_max, policy.patience * (lead - policy.migration_cost)));
}

Assessment RiskModel::observe(const std::string& node, const NodeSample& s) {
  NodeState& state = state_of(node);
  const FeatureVector& features = state.features.update(s);
  Assessment a;
  a.lead = state.features.lead();
  a.reason = state.features.lead_reason();
  bool scored = false;
  if (state.first < 0) {
    state.first = s.time;
  }
  if (m_model && s.time - state.first < k_model_warmup) {
    scored = true;  // warming up: score 0
    a.reason = "warming up";
  } else if (m_model) {
    if (auto p = m_model->score(features); p.ok()) {
      a.score = p.value();
      if (!std::isfinite(a.lead)) {
        a.reason = describe_features(features);
      }
      a.reason = fmt::format("model {:.2f}: {}", a.score, a.reason);
      scored = true;
    }
  }
  if (!scored && std::isfinite(a.lead)) {
    // The rules: the nearest limit's lead against the horizon.
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
  a.held = state.over_since >= 0 ? s.time - state.over_since : 0;
  // An uncorrected error's lead is no forecast: nothing to wait for.
  const double forecast_lead =
      s.edac_uncorrected > 0 ? std::numeric_limits<double>::infinity() : a.lead;
  const bool persisted =
      state.over_since >= 0 && a.held >= hold_needed(m_policy, forecast_lead) - 1e-9;
  // A forecast limit decides only while its resource still rises: a burst that stopped
  // keeps the forecast steep, and the score high, for some seconds after it.
  const bool forecast_holds =
      !std::isfinite(a.lead) || s.edac_uncorrected > 0 || state.features.lead_still_rising();
  a.decide = !state.settled && persisted && a.lead > m_policy.migration_cost && forecast_holds;
  if (a.decide) {
    state.settled = true;
  }
  return a;
}

}  // namespace ftmpi
