// ftmpi-eval: how well the predictor foresees the failures in labelled traces.
//
//   ftmpi-eval (--model MODEL | --rules) [--threshold T] [--windows K] [--window S]
//              [--migration-cost S] [--min-ramp S] [--sweep] TRACE...
//
// Each node's samples are replayed through the predictor the hidden rank runs (features,
// score, k windows over the threshold, lead against the migration cost); its decisions
// are compared with the failures the traces record.  See docs/ftmpi-eval.md.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "classifier.hpp"
#include "evaluation.hpp"
#include "ftmpi/version.h"
#include "util/cli_checks.hpp"
#include "util/exit_codes.hpp"
#include "util/tool_main.hpp"

namespace {

int fail(const ftmpi::Status& status) {
  std::fprintf(stderr, "ftmpi-eval: %s\n", status.message().c_str());
  return status.code() == ftmpi::StatusCode::not_found ? ftmpi::k_exit_no_input
                                                       : ftmpi::k_exit_corrupt;
}

int run(int argc, char** argv) {
  CLI::App app("Evaluates the predictor (a trained model, or the rules) on labelled job traces.",
               "ftmpi-eval");
  app.set_version_flag("--version", fmt::format("ftmpi-eval {}", FTMPI_VERSION_STRING));
  app.footer(
      "Prints precision, recall and F1 of the decisions, false alarms per node-hour of\n"
      "healthy time, and the lead time (decision to failure: median, 10th percentile) per\n"
      "fault kind, for failures whose ramp (fault start to failure) is --min-ramp or more.\n"
      "Exit status: 0 ok, 64 usage, 65 a trace or the model is unreadable, 66 missing.\n"
      "See docs/ftmpi-eval.md.");
  std::vector<std::string> traces;
  std::string model_path;
  bool rules = false;
  bool sweep = false;
  double min_ramp = 30;
  ftmpi::RiskPolicy policy;
  double threshold = -1;
  app.add_option("TRACE", traces, "Labelled job traces")->required();
  auto* model_opt = app.add_option("--model", model_path, "A model from ftmpi-train");
  app.add_flag("--rules", rules, "Evaluate the rule-based fallback instead")->excludes(model_opt);
  app.add_option("--threshold", threshold,
                 "Decision threshold (default: the model's, 0.5 for the rules)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--windows", policy.windows, "Consecutive windows over the threshold (default 3)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--window", policy.window, "Seconds per window (default 2)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--patience", policy.patience,
                 "Share of a forecast's lead (beyond the migration cost) the score must hold "
                 "before a decision (default 0.33)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--patience-max", policy.patience_max,
                 "Seconds the patience asks for at most (default 20)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--migration-cost", policy.migration_cost,
                 "Seconds a migration needs: no decision with less lead (default 5)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--horizon", policy.horizon, "Rules: seconds of lead that score 0 (default 120)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--min-ramp", min_ramp,
                 "Count failures whose ramp is at least this many seconds (default 30)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1e6));
  app.add_flag("--sweep", sweep, "A table over thresholds 0.1 to 0.9 instead of one report");
  bool decisions = false;
  app.add_flag("--decisions", decisions,
               "List every decision (trace, node, time, true or false, the reason)");
  if (const auto done = ftmpi::parse_command_line("ftmpi-eval", app, argc, argv)) {
    return *done;
  }
  if (model_path.empty() && !rules) {
    std::fprintf(stderr, "ftmpi-eval: give --model MODEL or --rules\n");
    return ftmpi::k_exit_usage;
  }
  std::shared_ptr<const ftmpi::Classifier> model;
  if (!model_path.empty()) {
    auto loaded = ftmpi::Classifier::load(model_path);
    if (!loaded.ok()) {
      return fail(loaded.status());
    }
    model = std::move(loaded).value();
  }
  policy.threshold = threshold >= 0 ? threshold : model ? model->threshold() : 0.5;
  std::vector<ftmpi::TraceContents> contents;
  for (const std::string& path : traces) {
    auto trace = ftmpi::read_trace(path);
    if (!trace.ok()) {
      return fail(trace.status());
    }
    contents.push_back(std::move(trace).value());
  }
  if (!sweep) {
    std::printf(
        "predictor: %s, threshold %.2f, %d windows of %.1f s, patience %.2f (at most %.0f s), "
        "migration cost %.1f s\n",
        model ? model_path.c_str() : "rules", policy.threshold, policy.windows, policy.window,
        policy.patience, policy.patience_max, policy.migration_cost);
    const ftmpi::EvalReport report = ftmpi::evaluate(contents, model, policy, min_ramp, decisions);
    std::fputs(ftmpi::format_report(report).c_str(), stdout);
    if (decisions) {
      std::printf("\ndecisions\n");
      for (const std::string& line : report.decision_log) {
        std::printf("%s\n", line.c_str());
      }
    }
    return 0;
  }
  std::printf("%-9s %9s %7s %7s %16s %12s %9s\n", "threshold", "precision", "recall", "F1",
              "false/node-hour", "lead median", "lead p10");
  for (int i = 1; i <= 9; ++i) {
    policy.threshold = i / 10.0;
    const ftmpi::EvalReport r = ftmpi::evaluate(contents, model, policy, min_ramp);
    std::printf("%-9.1f %9s %7s %7s %16s %12s %9s\n", policy.threshold,
                ftmpi::format_ratio(r.precision(), 3).c_str(),
                ftmpi::format_ratio(r.recall(), 3).c_str(), ftmpi::format_ratio(r.f1(), 3).c_str(),
                ftmpi::format_ratio(r.false_alarms_per_node_hour(), 4).c_str(),
                ftmpi::format_seconds(ftmpi::quantile(r.leads, 0.5)).c_str(),
                ftmpi::format_seconds(ftmpi::quantile(r.leads, 0.1)).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ftmpi::tool_main("ftmpi-eval", [&] { return run(argc, argv); });
}
