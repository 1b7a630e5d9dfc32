// What ftmpi-trace shows of a trace: the summary tables, CSV export and the SVG plot.
// Pure functions of TraceContents, so they are unit-tested without files.
#pragma once

#include <string>
#include <vector>

#include "trace_file.hpp"

namespace ftmpi {

// The summary: the job, a table per node and per rank, the checkpoints and restarts,
// and the events.
std::string trace_summary(const TraceContents& trace);

enum class ExportTable { ranks, nodes, events, checkpoints, predictions };
// CSV with a header row of column names (docs/trace-format.md); times in seconds since
// the job started.
std::string trace_csv(const TraceContents& trace, ExportTable table);

// Time series of the rank and node metrics with the events marked, as an SVG document.
std::string trace_svg(const TraceContents& trace);

}  // namespace ftmpi
