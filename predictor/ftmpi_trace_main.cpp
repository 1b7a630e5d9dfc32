// ftmpi-trace: reads a job trace (also while the job runs) and shows it.
//
//   ftmpi-trace summary TRACE                      tables per node and per rank, events
//   ftmpi-trace export TRACE [--table T] [-o CSV]  CSV of ranks, nodes, events or checkpoints
//   ftmpi-trace plot TRACE -o FILE.svg             time series of the metrics and events
//
// See docs/ftmpi-trace.md.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "ftmpi/version.h"
#include "trace_file.hpp"
#include "trace_views.hpp"
#include "util/cli_checks.hpp"

namespace {

constexpr int k_exit_usage = 64;
constexpr int k_exit_data = 65;
constexpr int k_exit_no_input = 66;
constexpr int k_exit_cannot_create = 73;

int fail_with(const ftmpi::Status& status) {
  std::fprintf(stderr, "ftmpi-trace: %s\n", status.message().c_str());
  return status.code() == ftmpi::StatusCode::not_found ? k_exit_no_input : k_exit_data;
}

int write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    // A full disk or a closed pipe behind standard output is an output not written too.
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      std::fprintf(stderr, "ftmpi-trace: cannot write to standard output: %s\n",
                   std::strerror(errno));
      return k_exit_cannot_create;
    }
    return 0;
  }
  std::ofstream out(path, std::ios::binary);
  if (!(out << text) || !out.flush()) {
    std::fprintf(stderr, "ftmpi-trace: cannot write %s\n", path.c_str());
    return k_exit_cannot_create;
  }
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app(
      "Reads an ftmpi job trace (also one still being written) and shows what every rank and "
      "node did.",
      "ftmpi-trace");
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("ftmpi-trace {}", FTMPI_VERSION_STRING));
  app.footer(
      "Exit status: 0 ok, 64 bad usage, 65 not a readable ftmpi trace, 66 trace not found, "
      "73 output not writable.\nSee docs/ftmpi-trace.md.");
  std::string trace_path;
  std::string output;
  std::string table = "ranks";

  auto* summary = app.add_subcommand("summary", "Tables per node and per rank, and the events");
  summary->add_option("TRACE", trace_path, "The job trace (.ftmpi.h5)")->required();
  auto* exporter = app.add_subcommand(
      "export", "CSV of the rank samples, node samples, events or checkpoint records");
  exporter->add_option("TRACE", trace_path, "The job trace")->required();
  exporter->add_option("--table", table, "ranks, nodes, events, checkpoints or predictions")
      ->check(CLI::IsMember({"ranks", "nodes", "events", "checkpoints", "predictions"}))
      ->default_str("ranks");
  exporter->add_option("-o,--output", output, "CSV file (default: standard output)")
      ->check(ftmpi::non_empty());
  auto* plot = app.add_subcommand("plot", "SVG time series of rank and node metrics with events");
  plot->add_option("TRACE", trace_path, "The job trace")->required();
  plot->add_option("-o,--output", output, "SVG file to write")->required();

  if (const auto done = ftmpi::parse_command_line("ftmpi-trace", app, argc, argv)) {
    return *done;
  }

  auto trace = ftmpi::read_trace(trace_path);
  if (!trace.ok()) {
    return fail_with(trace.status());
  }
  if (summary->parsed()) {
    return write_output("", ftmpi::trace_summary(trace.value()));
  }
  if (exporter->parsed()) {
    const std::map<std::string, ftmpi::ExportTable> tables{
        {"ranks", ftmpi::ExportTable::ranks},
        {"nodes", ftmpi::ExportTable::nodes},
        {"events", ftmpi::ExportTable::events},
        {"checkpoints", ftmpi::ExportTable::checkpoints},
        {"predictions", ftmpi::ExportTable::predictions}};
    return write_output(output, ftmpi::trace_csv(trace.value(), tables.at(table)));
  }
  return write_output(output, ftmpi::trace_svg(trace.value()));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ftmpi-trace: internal error: %s\n", e.what());
  }
  return 70;
}
