// ftmpi-trace's views of a trace built in memory: numbers the summary derives, the CSV
// layout, and the SVG's content.
#include <string>

#include <gtest/gtest.h>

#include "trace_views.hpp"

namespace ftmpi {
namespace {

TraceContents two_ranks() {
  TraceContents t;
  t.header.command = "./app <x> & \"y\"";
  t.header.start_time = 100;
  t.header.sample_interval = 1;
  t.header.ranks = {{0, 0, 10}, {1, 0, 11}};
  NodeInfo node;
  node.node = 0;
  set_text(node.name, "n01");
  t.header.nodes = {node};
  for (int rank = 0; rank < 2; ++rank) {
    for (int i = 0; i < 3; ++i) {
      RankSample s;
      s.time = 100 + i;
      s.rank = rank;
      s.node = 0;
      s.cpu_user = 0.5 * i * (rank + 1);  // rank 0: 50 % CPU, rank 1: 100 %
      s.rss_bytes = (rank + 1) * 1048576L * (i + 1);
      s.mpi_seconds[6] = 0.25 * i;  // 25 % of the time in collectives
      s.mpi_calls[3] = 10L * i;
      s.mpi_bytes[3] = 1048576L * i;
      t.rank_samples.push_back(s);
    }
  }
  NodeSample n;
  n.time = 101;
  n.node = 0;
  n.mem_available = 512L * 1048576;
  n.cpu_busy = 0.75;
  n.psi_memory_some = 4.5;
  t.node_samples.push_back(n);
  Event e;
  e.time = 102;
  set_text(e.kind, "job_end");
  set_text(e.detail, "2 ranks finished");
  t.events.push_back(e);
  return t;
}

TEST(TraceViews, SummaryDerivesRatesAndPeaks) {
  const std::string s = trace_summary(two_ranks());
  EXPECT_NE(s.find("ranks     2 on 1 node(s)"), std::string::npos) << s;
  EXPECT_NE(s.find("duration  2.0 s"), std::string::npos) << s;
  // rank 0: 1.00 s CPU, 50 %, 3 MiB peak, 25 % in MPI, 20 calls, 2 MiB sent
  EXPECT_NE(s.find("1.00   50.0       3.0"), std::string::npos) << s;
  EXPECT_NE(s.find("25.0         20       2.00"), std::string::npos) << s;
  // rank 1: 2.00 s, 100 %, 6 MiB
  EXPECT_NE(s.find("2.00  100.0       6.0"), std::string::npos) << s;
  EXPECT_NE(s.find("n01"), std::string::npos);
  EXPECT_NE(s.find("512"), std::string::npos);
  EXPECT_NE(s.find("75.0"), std::string::npos);
  EXPECT_NE(s.find("2.00 s  job_end"), std::string::npos) << s;
}

TEST(TraceViews, CsvHasAHeaderAndOneLinePerRow) {
  const TraceContents t = two_ranks();
  const std::string ranks = trace_csv(t, ExportTable::ranks);
  EXPECT_EQ(ranks.rfind("time,rank,node,cpu_user,", 0), 0U) << ranks.substr(0, 80);
  EXPECT_NE(ranks.find(",mpi_seconds_coll,"), std::string::npos);
  EXPECT_EQ(std::count(ranks.begin(), ranks.end(), '\n'), 1 + 6);
  EXPECT_NE(ranks.find("\n2,1,0,2,"), std::string::npos) << ranks;  // time relative to start
  const std::string events = trace_csv(t, ExportTable::events);
  EXPECT_EQ(events, "time,rank,node,kind,detail\n2,-1,-1,\"job_end\",\"2 ranks finished\"\n");
}

TEST(TraceViews, SvgShowsEveryPanelSeriesAndEvent) {
  const std::string svg = trace_svg(two_ranks());
  EXPECT_EQ(svg.rfind("<svg ", 0), 0U);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  for (const char* text :
       {"CPU use per rank (%)", "Resident memory per rank (MiB)", "Time in MPI per rank (%)",
        "Node memory available (MiB)", "Node CPU busy (%)", "rank 0", "rank 1", "n01", "job_end",
        "./app &lt;x&gt; &amp; &quot;y&quot;"}) {
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  }
  std::size_t polylines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos;
       at = svg.find("<polyline", at + 1)) {
    ++polylines;
  }
  EXPECT_EQ(polylines, 3U * 2U + 3U);  // three rank panels x 2 ranks, three node panels
}

}  // namespace
}  // namespace ftmpi
