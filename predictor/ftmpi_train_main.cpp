// ftmpi-train: trains the predictor's classifier on labelled job traces.
//
//   ftmpi-train TRACE... -o MODEL [--rounds N] [--max-depth D] [--eta E] [--threshold T]
//
// Every node sample before its node's failure is a row (the features of
// docs/predictor.md), labelled 1 inside a failure's precursor (from the injected fault's
// start to the node's failure), else 0.  See docs/ftmpi-train.md.
#include <xgboost/c_api.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "classifier.hpp"
#include "evaluation.hpp"
#include "ftmpi/version.h"
#include "util/cli_checks.hpp"
#include "util/exit_codes.hpp"
#include "util/tool_main.hpp"

namespace {

int fail(const ftmpi::Status& status) {
  std::fprintf(stderr, "ftmpi-train: %s\n", status.message().c_str());
  switch (status.code()) {
    case ftmpi::StatusCode::not_found:
      return ftmpi::k_exit_no_input;
    case ftmpi::StatusCode::corrupt:
    case ftmpi::StatusCode::unsupported:
    case ftmpi::StatusCode::invalid_argument:
      return ftmpi::k_exit_corrupt;
    case ftmpi::StatusCode::io_error:
      return ftmpi::k_exit_cannot_create;
    default:
      return ftmpi::k_exit_software;
  }
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int run(int argc, char** argv) {
  CLI::App app("Trains the predictor's failure classifier on labelled ftmpi job traces.",
               "ftmpi-train");
  app.set_version_flag("--version", fmt::format("ftmpi-train {}", FTMPI_VERSION_STRING));
  app.footer(
      "Labels come from the traces' fault events (ftmpi-inject's ground truth): samples\n"
      "from a fault's start to its node's failure are positive.  The model is used by a\n"
      "job with ftmpi-launch --predictor-model MODEL and evaluated with ftmpi-eval.\n"
      "Exit status: 0 ok, 64 usage, 65 a trace is unreadable or has no labels, 66 a trace\n"
      "is missing, 73 the model cannot be written.  See docs/ftmpi-train.md.");
  std::vector<std::string> traces;
  std::string output;
  ftmpi::TrainParams params;
  double trip = 95;
  app.add_option("TRACE", traces, "Labelled job traces")->required();
  app.add_option("-o,--output", output, "The model file to write")->required();
  app.add_option("--rounds", params.rounds, "Boosting rounds (default 60)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--max-depth", params.max_depth, "Depth of each tree (default 4)")
      ->check(CLI::Range(1, 16));
  app.add_option("--eta", params.eta, "Learning rate (default 0.2)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.001, 1.0));
  app.add_option("--threshold", params.threshold,
                 "The decision threshold recommended with the model (default 0.5)")
      ->check(ftmpi::finite())
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--trip", trip, "The temperature limit in C (default 95)")->check(ftmpi::finite());
  if (const auto done = ftmpi::parse_command_line("ftmpi-train", app, argc, argv)) {
    return *done;
  }

  ftmpi::Dataset data;
  nlohmann::json sources = nlohmann::json::array();
  for (const std::string& path : traces) {
    auto trace = ftmpi::read_trace(path);
    if (!trace.ok()) {
      return fail(trace.status());
    }
    const std::size_t before = data.size();
    const std::size_t positives = data.positives;
    ftmpi::add_to_dataset(trace.value(), trip, data);
    const ftmpi::GroundTruth truth = ftmpi::ground_truth(trace.value());
    sources.push_back({{"trace", std::filesystem::path(path).filename().string()},
                       {"samples", data.size() - before},
                       {"positives", data.positives - positives},
                       {"failures", truth.failures.size()},
                       {"healthy_episodes", truth.healthy.size()}});
  }
  if (data.positives == 0 || data.positives == data.size()) {
    return fail(ftmpi::invalid_argument(fmt::format(
        "the traces hold {} samples, {} of them before a failure: a model needs both kinds "
        "(traces recorded with ftmpi-inject on a simulated cluster; docs/predictor.md)",
        data.size(), data.positives)));
  }
  auto model = ftmpi::Classifier::train(data.rows, data.labels, params);
  if (!model.ok()) {
    return fail(model.status());
  }
  int major = 0;
  int minor = 0;
  int patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  std::string command = "ftmpi-train";
  for (int i = 1; i < argc; ++i) {
    command += std::string(" ") + argv[i];
  }
  const nlohmann::json provenance = {{"created", utc_now()},
                                     {"ftmpi", FTMPI_VERSION_STRING},
                                     {"xgboost", fmt::format("{}.{}.{}", major, minor, patch)},
                                     {"command", command},
                                     {"params",
                                      {{"rounds", params.rounds},
                                       {"max_depth", params.max_depth},
                                       {"eta", params.eta},
                                       {"trip_celsius", trip}}},
                                     {"samples", data.size()},
                                     {"positives", data.positives},
                                     {"traces", sources}};
  if (const ftmpi::Status saved = model.value()->save(output, provenance.dump()); !saved.ok()) {
    return fail(saved);
  }
  std::printf("ftmpi-train: %zu samples (%zu before a failure) from %zu traces: model %s\n",
              data.size(), data.positives, traces.size(), output.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ftmpi::tool_main("ftmpi-train", [&] { return run(argc, argv); });
}
