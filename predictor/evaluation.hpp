// Labelled traces (the ground truth of ftmpi-inject in a trace's `fault` events), the
// training set ftmpi-train builds from them, and the evaluation ftmpi-eval runs: every
// node's samples replayed through the same RiskModel the hidden rank runs, its decisions
// compared with the failures that followed (docs/predictor.md, "Evaluation").
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classifier.hpp"
#include "risk.hpp"
#include "trace_file.hpp"

namespace ftmpi {

// A fault that made its node fail: from its start (the precursor begins) to the failure.
struct Failure {
  int node = -1;
  std::string kind;  // ftmpi-inject's kind
  double start = 0;  // the fault's start
  double time = 0;   // the node's failure (`node_failed`)
  [[nodiscard]] double ramp() const noexcept { return time - start; }
};

// An injected episode on a node that did not make it fail (healthy stress).
struct Episode {
  int node = -1;
  std::string kind;
  double start = 0;
  double end = 0;
};

struct GroundTruth {
  std::vector<Failure> failures;  // at most one per node: the first
  std::vector<Episode> healthy;
};

// Reads the trace's fault events: "KIND EVENT (...)" on their node.
GroundTruth ground_truth(const TraceContents& trace);

// The training set: every node sample before its node's failure, labelled 1 inside a
// failure's precursor (from the fault's start to the failure), else 0.
struct Dataset {
  std::vector<float> rows;  // row-major, k_model_columns per row (model_row)
  std::vector<float> labels;
  std::size_t positives = 0;
  [[nodiscard]] std::size_t size() const noexcept { return labels.size(); }
};
void add_to_dataset(const TraceContents& trace, double trip_celsius, Dataset& out);

struct Decision {
  int node = -1;
  double time = 0;
  bool true_alarm = false;  // inside a failure's precursor
};

struct KindStats {
  int failures = 0;  // with a ramp of at least the minimum
  int detected = 0;
  std::vector<double> leads;  // seconds from the decision to the failure
};

struct EvalReport {
  double min_ramp = 30;
  int failures = 0;  // with a ramp of at least min_ramp
  int detected = 0;
  int short_failures = 0;  // ramps below min_ramp
  int short_detected = 0;
  int decisions = 0;
  int true_decisions = 0;
  int healthy_episodes = 0;
  int healthy_alarms = 0;         // false decisions during (or 30 s after) healthy stress
  double healthy_node_hours = 0;  // monitored time outside precursors
  std::map<std::string, KindStats> kinds;
  std::vector<double> leads;
  std::vector<std::string> decision_log;  // one line per decision, when asked for
  [[nodiscard]] double recall() const noexcept;
  [[nodiscard]] double precision() const noexcept;
  [[nodiscard]] double f1() const noexcept;
  [[nodiscard]] double false_alarms_per_node_hour() const noexcept;
  // The rate's one-sided upper confidence limit (exact, from the Poisson distribution):
  // with 0 false alarms in H node-hours, 3.0/H at 0.95.  Infinite without healthy time.
  [[nodiscard]] double false_alarms_upper_bound(double confidence = 0.95) const noexcept;
};

// Replays every trace's node samples through a fresh RiskModel (`model`, or the rules
// when null) and scores its decisions.  After a false alarm the node is watched again.
EvalReport evaluate(const std::vector<TraceContents>& traces,
                    const std::shared_ptr<const Classifier>& model, const RiskPolicy& policy,
                    double min_ramp, bool log_decisions = false);

// The report as ftmpi-eval prints it.
std::string format_report(const EvalReport& report);

// The q-quantile (0..1) of values (linear interpolation); NaN when empty.
double quantile(std::vector<double> values, double q);

// A lead time as the reports print it: "12.3 s", "-" when there is none (NaN).
std::string format_seconds(double seconds);

// A ratio or rate as the reports print it, with `decimals` decimals; "-" when it is
// undefined (NaN: a recall without failures, a precision without decisions).
std::string format_ratio(double value, int decimals);

}  // namespace ftmpi
