// The predictor's features, its classifier and the labelling and evaluation that
// ftmpi-train and ftmpi-eval share (predictor/features.hpp, classifier.hpp,
// evaluation.hpp), on traces made up here.
#include <malloc.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "classifier.hpp"
#include "evaluation.hpp"
#include "features.hpp"
#include "risk.hpp"

namespace ftmpi {
namespace {

constexpr double k_mib = 1024.0 * 1024.0;

NodeSample quiet_sample(int node, double time) {
  NodeSample s;
  s.time = time;
  s.node = node;
  s.cgroup_memory_usage = static_cast<std::int64_t>(100 * k_mib);
  s.cgroup_memory_limit = static_cast<std::int64_t>(1000 * k_mib);
  s.disk_total = static_cast<std::int64_t>(1000 * k_mib);
  s.disk_free = static_cast<std::int64_t>(900 * k_mib);
  s.edac_corrected = 0;
  s.edac_uncorrected = 0;
  s.net_errors = 0;
  s.net_drops = 0;
  s.temperature_max = 45;
  s.cpu_busy = 0.3;
  return s;
}

TEST(NodeFeatures, RatesOverTheirWindowsAndForecastLeads) {
  NodeFeatures f;
  FeatureVector v{};
  for (int i = 0; i <= 120; ++i) {
    NodeSample s = quiet_sample(0, i);
    s.edac_corrected = i >= 60 ? 2 * (i - 60) : 0;                               // 2/s from t = 60
    s.cgroup_memory_usage = static_cast<std::int64_t>((100 + 5.0 * i) * k_mib);  // 5 MiB/s
    v = f.update(s);
  }
  EXPECT_NEAR(at(v, Feature::ecc_rate_10), 2.0, 1e-3);
  EXPECT_NEAR(at(v, Feature::ecc_rate_60), 2.0, 1e-3);
  EXPECT_NEAR(at(v, Feature::memory_used), 0.7, 1e-3);
  EXPECT_NEAR(at(v, Feature::memory_slope), 0.005, 1e-4);
  EXPECT_NEAR(at(v, Feature::memory_lead), 60.0, 1.0);  // 300 MiB left at 5 MiB/s
  EXPECT_NEAR(at(v, Feature::nearest_lead), 60.0, 1.0);
  EXPECT_GE(at(v, Feature::memory_rising), 100.0);
  EXPECT_NEAR(f.lead(), 60.0, 1.0);
  EXPECT_NE(f.lead_reason().find("memory"), std::string::npos) << f.lead_reason();
  EXPECT_EQ(at(v, Feature::nic_errors_10), 0.0F);
  EXPECT_EQ(at(v, Feature::disk_lead), static_cast<float>(k_lead_cap)) << "not heading anywhere";
}

TEST(NodeFeatures, WhatANodeDoesNotHaveIsMissing) {
  NodeFeatures f;
  NodeSample s;  // nothing sampled
  s.time = 1;
  const FeatureVector& v = f.update(s);
  EXPECT_TRUE(std::isnan(at(v, Feature::temperature)));
  EXPECT_TRUE(std::isnan(at(v, Feature::ecc_rate_10)));
  EXPECT_TRUE(std::isnan(at(v, Feature::memory_used)));
  EXPECT_TRUE(std::isinf(f.lead()));
}

// A trace of `nodes` quiet nodes for `seconds`; node 1 gets a fault of KIND from `start`
// whose corrected memory errors rise until it fails at `fail`.
TraceContents trace_with_ecc_fault(int nodes, double seconds, double start, double fail) {
  TraceContents t;
  for (int n = 0; n < nodes; ++n) {
    NodeInfo info;
    info.node = n;
    set_text(info.name, "n" + std::to_string(n));
    t.header.nodes.push_back(info);
  }
  for (int i = 0; i <= static_cast<int>(seconds); ++i) {
    for (int n = 0; n < nodes; ++n) {
      NodeSample s = quiet_sample(n, i);
      if (n == 1 && i >= start) {
        s.edac_corrected = static_cast<std::int64_t>(3 * (i - start));
      }
      t.node_samples.push_back(s);
    }
  }
  auto fault = [&t](double time, const char* detail) {
    Event e;
    e.time = time;
    e.node = 1;
    set_text(e.kind, "fault");
    set_text(e.detail, detail);
    t.events.push_back(e);
  };
  fault(start, "ecc-errors start (rate 3, duration 60 s)");
  fault(fail, "ecc-errors node_failed (rate 3, duration 60 s): an uncorrected memory error");
  fault(fail, "ecc-errors end (rate 3, duration 60 s): ...");
  // Healthy stress on node 0: a burst that did not fail it.
  Event e;
  e.node = 0;
  set_text(e.kind, "fault");
  e.time = 20;
  set_text(e.detail, "cpu-hog start (rate 0, duration 10 s)");
  t.events.push_back(e);
  e.time = 30;
  set_text(e.detail, "cpu-hog end (rate 0, duration 10 s): 1 CPUs burned");
  t.events.push_back(e);
  return t;
}

TEST(Evaluation, GroundTruthFromTheFaultEvents) {
  const TraceContents t = trace_with_ecc_fault(3, 200, 50, 150);
  const GroundTruth truth = ground_truth(t);
  ASSERT_EQ(truth.failures.size(), 1U);
  EXPECT_EQ(truth.failures[0].node, 1);
  EXPECT_EQ(truth.failures[0].kind, "ecc-errors");
  EXPECT_DOUBLE_EQ(truth.failures[0].ramp(), 100.0);
  ASSERT_EQ(truth.healthy.size(), 1U);
  EXPECT_EQ(truth.healthy[0].kind, "cpu-hog");
}

TEST(Evaluation, LabelsThePrecursorAndDropsWhatFollowsTheFailure) {
  Dataset d;
  add_to_dataset(trace_with_ecc_fault(3, 200, 50, 150), 95, d);
  // 3 nodes x 201 samples, less node 1's samples from its failure on (t = 150..200).
  EXPECT_EQ(d.size(), 3U * 201 - 51);
  EXPECT_EQ(d.positives, 100U);  // t = 50..149 on node 1
  EXPECT_EQ(d.rows.size(), d.size() * k_model_columns);
}

TEST(Evaluation, TheRulesMissACorrectedErrorRampThatAModelLearns) {
  std::vector<TraceContents> traces;
  Dataset train;
  for (int i = 0; i < 6; ++i) {
    traces.push_back(trace_with_ecc_fault(3, 240, 40 + 10 * i, 140 + 15 * i));
    add_to_dataset(traces.back(), 95, train);
  }
  RiskPolicy policy;
  const EvalReport rules = evaluate(traces, nullptr, policy, 30);
  EXPECT_EQ(rules.failures, 6);
  EXPECT_EQ(rules.detected, 0) << "the rules act on the uncorrected error only: too late";

  TrainParams params;
  params.rounds = 20;
  auto model = Classifier::train(train.rows, train.labels, params);
  ASSERT_TRUE(model.ok()) << model.status().message();
  std::shared_ptr<const Classifier> shared = std::move(model).value();
  const EvalReport learned = evaluate(traces, shared, policy, 30);
  EXPECT_EQ(learned.detected, 6);
  EXPECT_EQ(learned.decisions, learned.true_decisions) << "no false alarm";
  EXPECT_DOUBLE_EQ(learned.recall(), 1.0);
  EXPECT_GT(quantile(learned.leads, 0.1), 60.0);
  EXPECT_GT(learned.healthy_node_hours, 0.3);
  EXPECT_EQ(learned.kinds.at("ecc-errors").detected, 6);
  const std::string text = format_report(learned);
  EXPECT_NE(text.find("recall                    1.000"), std::string::npos) << text;
}

TEST(Evaluation, TheFalseAlarmRateHasAnExactPoissonUpperLimit) {
  EvalReport r;
  EXPECT_TRUE(std::isinf(r.false_alarms_upper_bound())) << "no healthy time, no limit";
  r.healthy_node_hours = 100;
  // The classical one-sided limits on a Poisson mean for k observed events.
  EXPECT_NEAR(r.false_alarms_upper_bound(), 2.996 / 100, 1e-5);  // k = 0: -ln(0.05)
  EXPECT_NEAR(r.false_alarms_upper_bound(0.99), 4.605 / 100, 1e-5);
  r.decisions = 3;
  r.true_decisions = 2;
  EXPECT_NEAR(r.false_alarms_upper_bound(), 4.744 / 100, 1e-5);  // k = 1
  r.decisions = 7;
  EXPECT_NEAR(r.false_alarms_upper_bound(), 10.513 / 100, 1e-5);  // k = 5
  EXPECT_DOUBLE_EQ(r.false_alarms_per_node_hour(), 0.05);
  EXPECT_NE(format_report(r).find("95 % upper limit        0.1051"), std::string::npos)
      << format_report(r);
}

TEST(Classifier, SavesLoadsAndScoresTheSame) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 0.1F);
  std::vector<float> rows;
  std::vector<float> labels;
  for (int i = 0; i < 400; ++i) {
    ModelRow v{};
    v.fill(std::numeric_limits<float>::quiet_NaN());
    const bool bad = i % 2 == 0;
    v[0] = (bad ? 0.8F : 0.3F) + noise(rng);
    rows.insert(rows.end(), v.begin(), v.end());
    labels.push_back(bad ? 1.0F : 0.0F);
  }
  TrainParams params;
  params.rounds = 10;
  params.threshold = 0.7;
  auto model = Classifier::train(rows, labels, params);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::string path =
      (std::filesystem::temp_directory_path() / ("ftmpi-model-" + std::to_string(getpid())))
          .string();
  ASSERT_TRUE(model.value()->save(path, R"({"by": "test"})").ok());
  auto loaded = Classifier::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_DOUBLE_EQ(loaded.value()->threshold(), 0.7);
  EXPECT_EQ(loaded.value()->provenance(), R"({"by":"test"})");
  const auto before = model.value()->scores(rows);
  const auto after = loaded.value()->scores(rows);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before.value(), after.value());
  EXPECT_GT(before.value()[0], 0.9F);
  EXPECT_LT(before.value()[1], 0.1F);

  // A model file damaged, of another format, or for other features: refused, saying so.
  std::ofstream(path) << "{\"format\": \"ftmpi-model\", \"version\": 1, \"features\": [\"x\"]}";
  auto other = Classifier::load(path);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("other features"), std::string::npos);
  std::ofstream(path) << "{\"format\": \"ftmpi-mod";
  EXPECT_EQ(Classifier::load(path).status().code(), StatusCode::corrupt);
  std::ofstream(path) << "{}";
  EXPECT_EQ(Classifier::load(path).status().code(), StatusCode::corrupt);
  std::filesystem::remove(path);
  EXPECT_EQ(Classifier::load(path).status().code(), StatusCode::not_found);
}

// The heap memory this process holds, in KiB (malloc's own count: exact, unlike the
// resident set, which moves in huge pages).
long heap_in_use_kib() {
  const struct mallinfo2 heap = mallinfo2();
  return static_cast<long>((heap.uordblks + heap.hblkhd) / 1024);
}

// The hidden rank scores every node sample for as long as the job runs: the shipped
// model and each node's features must not grow with them.  Two hours of 24 nodes
// sampled every second, their memory and disk wandering.
TEST(RiskModel, ItsMemoryDoesNotGrowWithTheSamples) {
  const char* source = std::getenv("FTMPI_SOURCE_DIR");  // NOLINT(concurrency-mt-unsafe)
  ASSERT_NE(source, nullptr) << "run through ctest (it sets FTMPI_SOURCE_DIR)";
  auto model = Classifier::load(std::string(source) + "/predictor/models/default.json");
  ASSERT_TRUE(model.ok()) << model.status().message();
  RiskModel risk(RiskPolicy{}, std::move(model).value());
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> wander(-2, 2);
  long warm = 0;
  int decisions = 0;
  for (int second = 0; second < 7200; ++second) {
    for (int node = 0; node < 24; ++node) {
      NodeSample s = quiet_sample(node, second);
      s.cgroup_memory_usage += static_cast<std::int64_t>(wander(rng) * k_mib);
      s.disk_free += static_cast<std::int64_t>(wander(rng) * k_mib);
      decisions += risk.observe("n" + std::to_string(node), s).decide ? 1 : 0;
    }
    if (second == 600) {
      warm = heap_in_use_kib();
    }
  }
  EXPECT_EQ(decisions, 0);
  ASSERT_GT(warm, 0);
  EXPECT_LT(heap_in_use_kib() - warm, 1024) << "KiB more after 6600 s of 24 nodes' samples";
}

}  // namespace
}  // namespace ftmpi
