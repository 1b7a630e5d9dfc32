#include "evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <boost/math/special_functions/gamma.hpp>

namespace ftmpi {
namespace {

// The node's samples in time order.
std::map<int, std::vector<NodeSample>> samples_by_node(const TraceContents& trace) {
  std::map<int, std::vector<NodeSample>> out;
  for (const NodeSample& s : trace.node_samples) {
    if (s.node >= 0) {
      out[s.node].push_back(s);
    }
  }
  for (auto& [node, samples] : out) {
    std::stable_sort(samples.begin(), samples.end(),
                     [](const NodeSample& a, const NodeSample& b) { return a.time < b.time; });
  }
  return out;
}

const Failure* failure_of(const GroundTruth& truth, int node) {
  for (const Failure& f : truth.failures) {
    if (f.node == node) {
      return &f;
    }
  }
  return nullptr;
}

std::string node_name(const TraceContents& trace, int node) {
  for (const NodeInfo& n : trace.header.nodes) {
    if (n.node == node) {
      return n.name;
    }
  }
  return std::to_string(node);
}

}  // namespace

GroundTruth ground_truth(const TraceContents& trace) {
  GroundTruth truth;
  std::map<std::pair<int, std::string>, double> started;
  std::vector<Event> events = trace.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.time < b.time; });
  for (const Event& e : events) {
    if (std::string_view(e.kind) != "fault" || e.node < 0) {
      continue;
    }
    std::istringstream words{std::string(e.detail)};
    std::string kind;
    std::string what;
    words >> kind >> what;
    const auto key = std::make_pair(static_cast<int>(e.node), kind);
    if (what == "start") {
      started[key] = e.time;
    } else if (what == "node_failed") {
      const auto it = started.find(key);
      if (failure_of(truth, e.node) == nullptr) {
        truth.failures.push_back({e.node, kind, it != started.end() ? it->second : e.time, e.time});
      }
      if (it != started.end()) {
        started.erase(it);
      }
    } else if (what == "end" || what == "failed") {
      const auto it = started.find(key);
      if (it != started.end()) {
        if (what == "end") {
          truth.healthy.push_back({e.node, kind, it->second, e.time});
        }
        started.erase(it);
      }
    }
  }
  return truth;
}

void add_to_dataset(const TraceContents& trace, double trip_celsius, Dataset& out) {
  const GroundTruth truth = ground_truth(trace);
  for (const auto& [node, samples] : samples_by_node(trace)) {
    const Failure* failure = failure_of(truth, node);
    NodeFeatures features(trip_celsius);
    for (const NodeSample& s : samples) {
      if (failure != nullptr && s.time >= failure->time) {
        break;  // the node is gone: nothing after its failure counts
      }
      const ModelRow row = model_row(features.update(s));
      const bool positive = failure != nullptr && s.time >= failure->start;
      out.rows.insert(out.rows.end(), row.begin(), row.end());
      out.labels.push_back(positive ? 1.0F : 0.0F);
      out.positives += positive ? 1 : 0;
    }
  }
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (at - static_cast<double>(lo));
}

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// Undefined (NaN, printed "-") where nothing was there to count: no failure for the
// recall, no decision for the precision, no healthy time for the rate.
double EvalReport::recall() const noexcept {
  return failures > 0 ? static_cast<double>(detected) / failures : k_nan;
}
double EvalReport::precision() const noexcept {
  return decisions > 0 ? static_cast<double>(true_decisions) / decisions : k_nan;
}
double EvalReport::f1() const noexcept {
  const double p = precision();
  const double r = recall();
  if (std::isnan(p) || std::isnan(r)) {
    return k_nan;
  }
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}
double EvalReport::false_alarms_per_node_hour() const noexcept {
  return healthy_node_hours > 0 ? (decisions - true_decisions) / healthy_node_hours : k_nan;
}

double EvalReport::false_alarms_upper_bound(double confidence) const noexcept {
  if (healthy_node_hours <= 0 || !(confidence > 0 && confidence < 1)) {
    return std::numeric_limits<double>::infinity();
  }
  // P(at most k events | mean m) = Q(k + 1, m), the regularised upper incomplete gamma
  // function: the limit is the mean m at which k or fewer has probability 1 - confidence.
  const int k = decisions - true_decisions;
  try {
    return boost::math::gamma_q_inv(k + 1.0, 1.0 - confidence) / healthy_node_hours;
  } catch (...) {  // Boost.Math's errors: none for these arguments
    return std::numeric_limits<double>::infinity();
  }
}

EvalReport evaluate(const std::vector<TraceContents>& traces,
                    const std::shared_ptr<const Classifier>& model, const RiskPolicy& policy,
                    double min_ramp, bool log_decisions) {
  EvalReport report;
  report.min_ramp = min_ramp;
  for (std::size_t t = 0; t < traces.size(); ++t) {
    const TraceContents& trace = traces[t];
    const GroundTruth truth = ground_truth(trace);
    RiskModel risk(policy, model);
    auto log = [&](const NodeSample& s, const std::string& what, const Assessment& a) {
      if (log_decisions) {
        report.decision_log.push_back(
            fmt::format("trace {} {} {:.1f} s: {}; {}", t + 1, node_name(trace, s.node),
                        s.time - trace.header.start_time, what, a.reason));
      }
    };
    for (const Failure& f : truth.failures) {
      if (f.ramp() >= min_ramp) {
        ++report.failures;
        ++report.kinds[f.kind].failures;
      } else {
        ++report.short_failures;
      }
    }
    report.healthy_episodes += static_cast<int>(truth.healthy.size());
    for (const auto& [node, samples] : samples_by_node(trace)) {
      const Failure* failure = failure_of(truth, node);
      const std::string name = node_name(trace, node);
      bool detected = false;
      for (std::size_t i = 0; i < samples.size(); ++i) {
        const NodeSample& s = samples[i];
        if (failure != nullptr && s.time >= failure->time) {
          break;
        }
        const bool precursor = failure != nullptr && s.time >= failure->start;
        if (!precursor && i + 1 < samples.size()) {
          report.healthy_node_hours += (samples[i + 1].time - s.time) / 3600.0;
        }
        const Assessment a = risk.observe(name, s);
        if (!a.decide) {
          continue;
        }
        ++report.decisions;
        if (precursor) {
          ++report.true_decisions;
          log(s, fmt::format("true ({} fails in {:.1f} s)", failure->kind, failure->time - s.time),
              a);
          if (!detected) {
            detected = true;
            const double lead = failure->time - s.time;
            if (failure->ramp() >= min_ramp) {
              ++report.detected;
              ++report.kinds[failure->kind].detected;
              report.kinds[failure->kind].leads.push_back(lead);
              report.leads.push_back(lead);
            } else {
              ++report.short_detected;
            }
          }
          continue;
        }
        // A false alarm; the node is watched again (its ranks would be elsewhere).
        risk.rearm(name);
        std::string during;
        for (const Episode& e : truth.healthy) {
          if (e.node == node && s.time >= e.start && s.time <= e.end + 30) {
            ++report.healthy_alarms;
            during = " during " + e.kind;
            break;
          }
        }
        log(s, "FALSE ALARM" + during, a);
      }
    }
  }
  return report;
}

std::string format_seconds(double seconds) {
  return std::isnan(seconds) ? "-" : fmt::format("{:.1f} s", seconds);
}

std::string format_ratio(double value, int decimals) {
  return std::isnan(value) ? "-" : fmt::format("{:.{}f}", value, decimals);
}

std::string format_report(const EvalReport& r) {
  std::string out;
  out +=
      fmt::format("{:<26}{}\n", fmt::format("failures (ramp >= {:.0f} s)", r.min_ramp), r.failures);
  out += fmt::format("detected                  {}\n", r.detected);
  out += fmt::format("decisions                 {} ({} true, {} false)\n", r.decisions,
                     r.true_decisions, r.decisions - r.true_decisions);
  out += fmt::format("precision                 {}\n", format_ratio(r.precision(), 3));
  out += fmt::format("recall                    {}\n", format_ratio(r.recall(), 3));
  out += fmt::format("F1                        {}\n", format_ratio(r.f1(), 3));
  out += fmt::format("false alarms / node-hour  {} ({:.2f} healthy node-hours)\n",
                     format_ratio(r.false_alarms_per_node_hour(), 4), r.healthy_node_hours);
  out += fmt::format("  95 % upper limit        {:.4f}\n", r.false_alarms_upper_bound());
  out += fmt::format("lead time median          {}\n", format_seconds(quantile(r.leads, 0.5)));
  out += fmt::format("lead time 10th percentile {}\n", format_seconds(quantile(r.leads, 0.1)));
  out += fmt::format("{:<26}{} failures, {} detected\n",
                     fmt::format("short ramps (< {:.0f} s)", r.min_ramp), r.short_failures,
                     r.short_detected);
  out += fmt::format("healthy stress            {} episodes, {} false alarms in them\n",
                     r.healthy_episodes, r.healthy_alarms);
  out += fmt::format("\n{:<12} {:>8} {:>8} {:>7} {:>11} {:>9}\n", "kind", "failures", "detected",
                     "recall", "lead median", "lead p10");
  for (const auto& [kind, k] : r.kinds) {
    out +=
        fmt::format("{:<12} {:>8} {:>8} {:>7} {:>11} {:>9}\n", kind, k.failures, k.detected,
                    format_ratio(k.failures > 0 ? static_cast<double>(k.detected) / k.failures
                                                : std::numeric_limits<double>::quiet_NaN(),
                                 3),
                    format_seconds(quantile(k.leads, 0.5)), format_seconds(quantile(k.leads, 0.1)));
  }
  return out;
}

}  // namespace ftmpi
