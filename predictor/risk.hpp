// The predictor's assessment of each node (docs/predictor.md): after every sample of a
// node its features (features.hpp) give a failure-probability score, from the learned
// classifier where a model is given, else from rules (the nearest forecast limit's lead
// against a horizon); an uncorrected memory error makes the score 1 either way.  A
// decision to move the node's ranks is taken when the score stays at or over the
// threshold for k consecutive windows (of a few seconds each: a burst that stops is no
// fault), and longer where a forecast limit is far away (the patience: a share of the
// time the forecast leaves, spent telling a leak from growth that stops), and the
// forecast still leaves more time than a migration costs.  The hidden
// rank and ftmpi-eval both run this, so what is evaluated offline is what runs in a job.
#pragma once

#include <limits>
#include <map>
#include <memory>
#include <string>

#include "classifier.hpp"
#include "features.hpp"
#include "telemetry/samples.hpp"

namespace ftmpi {

struct RiskPolicy {
  double horizon = 120;       // rules: seconds; a limit further away scores 0
  double threshold = 0.5;     // score at or over which a window counts
  int windows = 3;            // k consecutive windows before a decision
  double window = 2;          // seconds per window
  double migration_cost = 5;  // seconds a migration needs: less lead than this, no decision
  double trip_celsius = 95;   // the temperature limit
  // A forecast limit decides once the score has held for this share of the lead it
  // leaves beyond a migration's cost (and at least the k windows), at most
  // patience_max seconds: time a far limit can spare to see whether the growth stops.
  double patience = 1.0 / 3;
  double patience_max = 20;
};

// Seconds a node's score must stay at or over the threshold before a decision, with the
// nearest limit `lead` seconds away (infinite: no limit forecast).
[[nodiscard]] double hold_needed(const RiskPolicy& policy, double lead) noexcept;

struct Assessment {
  double score = 0;                                       // 0..1
  double lead = std::numeric_limits<double>::infinity();  // seconds to the nearest limit
  std::string reason;                                     // what drives the score
  double held = 0;      // seconds the score has stayed at or over the threshold
  bool decide = false;  // the score has held long enough: move the node's ranks
};

// The model scores a node once it has this many seconds of its samples: before, the
// features' windows (rates over 10 s, how long memory has risen) are not yet filled,
// and a job's start-up (its memory growing as it allocates) is no failure.
inline constexpr double k_model_warmup = 10;

class RiskModel {
 public:
  // Scores with `model` where given, else with the rules.
  explicit RiskModel(RiskPolicy policy, std::shared_ptr<const Classifier> model = nullptr)
      : m_policy(policy), m_model(std::move(model)) {}
  // One node sample of node `node`; returns its assessment after it.
  Assessment observe(const std::string& node, const NodeSample& sample);
  // The node's ranks were moved (or it is excluded): no further decision for it.
  void settle(const std::string& node) { state_of(node).settled = true; }
  // Decisions on the node again, once its score has stayed high for k windows anew.
  void rearm(const std::string& node) {
    NodeState& state = state_of(node);
    state.settled = false;
    state.over_since = -1;
  }
  [[nodiscard]] const RiskPolicy& policy() const noexcept { return m_policy; }
  // What a migration costs, as measured in this job.
  void set_migration_cost(double seconds) noexcept { m_policy.migration_cost = seconds; }
  [[nodiscard]] bool learned() const noexcept { return m_model != nullptr; }

 private:
  struct NodeState {
    explicit NodeState(double trip) : features(trip) {}
    NodeFeatures features;
    double first = -1;       // the node's first sample
    double over_since = -1;  // when the score last reached the threshold (-1: it is under)
    bool settled = false;
  };
  NodeState& state_of(const std::string& node);
  RiskPolicy m_policy;
  std::shared_ptr<const Classifier> m_model;
  std::map<std::string, NodeState> m_nodes;
};

// In words, what most likely drives a node's score when no limit is forecast (error
// rates, heat, pressure), e.g. "corrected memory errors +2.1/s".
std::string describe_features(const FeatureVector& v);

}  // namespace ftmpi
