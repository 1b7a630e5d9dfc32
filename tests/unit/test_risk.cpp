// The predictor's rules: Holt's forecaster and the node risk model (predictor/risk.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "risk.hpp"

namespace ftmpi {
namespace {

constexpr double k_mib = 1024.0 * 1024.0;

TEST(HoltForecast, FollowsALinearTrendToItsLimit) {
  HoltForecast f(0.6, 0.4);
  for (int i = 0; i <= 40; ++i) {
    f.add(0.5 * i, 100 + 10.0 * (0.5 * i));  // +10 per second
  }
  EXPECT_NEAR(f.slope(), 10.0, 0.05);
  EXPECT_NEAR(f.level(), 300.0, 0.5);
  EXPECT_NEAR(f.time_to(400), 10.0, 0.1);
}

TEST(HoltForecast, NoLimitWithoutAnUpwardTrend) {
  HoltForecast f(0.6, 0.4);
  for (int i = 0; i < 20; ++i) {
    f.add(i, 500 - i);
  }
  EXPECT_TRUE(std::isinf(f.time_to(1000)));
  HoltForecast young(0.6, 0.4);
  young.add(0, 1);
  young.add(1, 2);
  EXPECT_TRUE(std::isinf(young.time_to(10))) << "too few samples to trust a trend";
}

NodeSample memory_sample(double time, double used_mib, double limit_mib) {
  NodeSample s;
  s.time = time;
  s.cgroup_memory_usage = static_cast<std::int64_t>(used_mib * k_mib);
  s.cgroup_memory_limit = static_cast<std::int64_t>(limit_mib * k_mib);
  return s;
}

// When the model decides on a leak of `rate` MiB/s from `from` towards `limit` MiB,
// sampled every `step` seconds (-1: never), and the lead it gave; counts decisions.
struct Decided {
  int decisions = 0;
  double at = -1;
  double lead = 0;
};
Decided watch_growth(const RiskPolicy& policy, double from, double rate, double stop, double limit,
                     double step, double until) {
  RiskModel model(policy);
  Decided d;
  for (int i = 0; i * step <= until; ++i) {
    const double t = i * step;
    const Assessment a =
        model.observe("n2", memory_sample(t, from + rate * std::min(t, stop), limit));
    if (a.decide) {
      ++d.decisions;
      d.at = t;
      d.lead = a.lead;
      EXPECT_NE(a.reason.find("memory"), std::string::npos) << a.reason;
      EXPECT_GE(a.held, hold_needed(policy, a.lead) - 1e-9);
    }
  }
  return d;
}

TEST(RiskModel, DecidesOnceWhenALeakWillFillTheNodeInTime) {
  RiskPolicy policy;  // horizon 120 s, threshold 0.5, 3 windows of 2 s, migration cost 5 s
  policy.patience = 0;
  // 20 MiB/s from 100 of 1000 MiB: the limit 45 s away at the start.
  Decided d = watch_growth(policy, 100, 20, 1e9, 1000, 0.5, 30);
  EXPECT_EQ(d.decisions, 1);
  EXPECT_GE(d.at, 6.0);  // enough samples for a trend, then 3 windows of 2 s
  EXPECT_LT(d.at, 9.0);
  EXPECT_GT(d.lead, 30);  // long before the limit
  // With the patience (a third of the lead beyond the migration's cost): the score
  // holds for about (40 - 5) / 4 s instead of 6.
  const Decided patient = watch_growth(RiskPolicy{}, 100, 20, 1e9, 1000, 0.5, 30);
  EXPECT_EQ(patient.decisions, 1);
  EXPECT_GE(patient.at, 9.0);
  EXPECT_LT(patient.at, 13.0);
  EXPECT_GT(patient.lead, 25);
}

// A node that writes (a trace, a checkpoint) fills its cgroup's usage with file cache,
// which the kernel reclaims before any OOM (here: once the usage reaches the limit).
// 20 MiB/s of growth that is all inactive file cache is no risk; the same growth, half of
// it anonymous memory, is a leak of 10 MiB/s and decides, long before the OOM.
TEST(RiskModel, FileCacheFillingTheCgroupIsNoRisk) {
  for (const double leak : {0.0, 10.0}) {
    RiskModel model(RiskPolicy{});
    Decided d;
    double worst = 0;
    for (int i = 0; i <= 160; ++i) {
      const double t = 0.5 * i;
      const double anonymous = 100 + leak * t;
      const double cache = std::min((20 - leak) * t, 1000 - anonymous);
      NodeSample s = memory_sample(t, anonymous + cache, 1000);
      s.cgroup_memory_inactive_file = static_cast<std::int64_t>(cache * k_mib);
      const Assessment a = model.observe("n2", s);
      if (a.decide) {
        ++d.decisions;
        d.lead = a.lead;
      }
      worst = std::max(worst, a.score);
    }
    if (leak == 0) {
      EXPECT_EQ(d.decisions, 0);
      EXPECT_EQ(worst, 0.0);
    } else {
      EXPECT_EQ(d.decisions, 1);
      EXPECT_GT(d.lead, 25);
    }
  }
}

TEST(RiskModel, ThePatienceGrowsWithTheLeadUpToItsMaximum) {
  const RiskPolicy policy;  // 3 windows of 2 s, a third of the lead, at most 20 s
  EXPECT_DOUBLE_EQ(hold_needed(policy, std::numeric_limits<double>::infinity()), 6);
  EXPECT_DOUBLE_EQ(hold_needed(policy, 15), 6);  // (15 - 5) / 3 is under the windows
  EXPECT_DOUBLE_EQ(hold_needed(policy, 50), 15);
  EXPECT_DOUBLE_EQ(hold_needed(policy, 600), 20);
  RiskPolicy none = policy;
  none.patience = 0;
  EXPECT_DOUBLE_EQ(hold_needed(none, 600), 6);
}

// Memory allocated in one go by a process starved for CPU (a loaded node): 10 MiB/s for
// 12 s, the limit a minute away.  For those seconds it is the start of a leak; the
// windows alone take it for one, the patience waits until it has stopped.
TEST(RiskModel, ThePatienceOutwaitsAStarvedAllocation) {
  RiskPolicy hasty;
  hasty.patience = 0;
  const Decided fooled = watch_growth(hasty, 390, 10, 12, 1000, 1, 90);
  EXPECT_EQ(fooled.decisions, 1) << "the windows alone decide on the allocation";
  const Decided patient = watch_growth(RiskPolicy{}, 390, 10, 12, 1000, 1, 90);
  EXPECT_EQ(patient.decisions, 0) << "decided at " << patient.at << " s";
  // The same growth going on is a leak, and decides with most of its lead left.
  const Decided leak = watch_growth(RiskPolicy{}, 390, 10, 1e9, 1000, 1, 90);
  EXPECT_EQ(leak.decisions, 1);
  EXPECT_GT(leak.lead, 35);
}

TEST(RiskModel, GrowthThatStopsOrIsFarFromTheLimitIsNoRisk) {
  RiskModel model(RiskPolicy{});
  for (int i = 0; i < 200; ++i) {
    const double t = 0.5 * i;
    // 2 MiB/s for 20 s (a limit 5 minutes away), then flat.
    const double used = 100 + 2 * std::min(t, 20.0);
    const Assessment a = model.observe("n1", memory_sample(t, used, 800));
    EXPECT_FALSE(a.decide) << "at " << t << " s: " << a.reason;
    EXPECT_LT(a.score, 0.5) << "at " << t << " s";
  }
}

TEST(RiskModel, ABurstThatStopsIsNoFault) {
  RiskModel model(RiskPolicy{});
  for (int i = 0; i < 100; ++i) {
    const double t = 0.5 * i;
    // 20 MiB/s for 4 s towards a limit 30 s away, then flat.
    const double used = 200 + 20 * std::clamp(t - 10, 0.0, 4.0);
    EXPECT_FALSE(model.observe("n1", memory_sample(t, used, 800)).decide) << "at " << t << " s";
  }
}

// A burst slowed down on a loaded machine: it scores over the threshold for three
// windows, but by then it has stopped.  The forecast is still steep for a few samples
// (Holt's trend forgets slowly); the level no longer moves, and that decides nothing.
TEST(RiskModel, ABurstThatStoppedDecidesNothingWhileItsForecastIsStillSteep) {
  RiskModel model(RiskPolicy{});
  int over = 0;
  for (int i = 0; i < 60; ++i) {
    const double t = i;  // sampled every second
    // 30 MiB/s for 6 s (the limit 20 s away at the start), then flat at 380 of 800 MiB.
    const double used = 200 + 30 * std::clamp(t - 10, 0.0, 6.0);
    const Assessment a = model.observe("n1", memory_sample(t, used, 800));
    over += a.score >= 0.5 ? 1 : 0;
    EXPECT_FALSE(a.decide) << "at " << t << " s: " << a.reason;
  }
  EXPECT_GE(over, 7) << "the burst scored over the threshold for three windows";
  // The same growth going on is a leak, and decides.
  RiskModel leak(RiskPolicy{});
  bool decided = false;
  for (int i = 0; i < 20 && !decided; ++i) {
    decided = leak.observe("n1", memory_sample(i, 200 + 30 * std::max(i - 10.0, 0.0), 800)).decide;
  }
  EXPECT_TRUE(decided);
}

TEST(RiskModel, NoDecisionWithLessLeadThanAMigrationCosts) {
  RiskPolicy policy;
  policy.migration_cost = 60;  // a migration slower than any warning this leak gives
  RiskModel model(policy);
  for (int i = 0; i < 40; ++i) {
    const double t = 0.5 * i;
    EXPECT_FALSE(model.observe("n3", memory_sample(t, 500 + 40 * t, 2000)).decide);
  }
}

TEST(RiskModel, AnUncorrectedMemoryErrorDecidesAtOnce) {
  RiskModel model(RiskPolicy{});
  NodeSample s;
  s.edac_uncorrected = 1;
  bool decided = false;
  for (int i = 0; i < 8; ++i) {
    s.time = i;
    decided = model.observe("n4", s).decide || decided;
  }
  EXPECT_TRUE(decided);
}

TEST(RiskModel, TemperatureTowardsItsTripPoint) {
  RiskPolicy policy;
  policy.trip_celsius = 90;
  RiskModel model(policy);
  bool decided = false;
  for (int i = 0; i < 20; ++i) {
    NodeSample s;
    s.time = i;
    s.temperature_max = 45 + 2.0 * i;  // +2 C/s: the trip point in about 20 s
    decided = model.observe("n5", s).decide || decided;
  }
  EXPECT_TRUE(decided);
}

}  // namespace
}  // namespace ftmpi
