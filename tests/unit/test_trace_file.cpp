// The HDF5 job trace: what is written reads back, a reader sees flushed rows while the
// writer is open (SWMR), and files that are not ftmpi traces are refused clearly.
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <malloc.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "trace_file.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

TraceHeader sample_header() {
  TraceHeader h;
  h.command = "./app -n 10";
  h.ftmpi_version = "0.1.0";
  h.papi = "unavailable: test";
  h.start_time = 1000.5;
  h.sample_interval = 0.25;
  h.ranks = {{0, 0, 100}, {1, 1, 101}};
  NodeInfo a;
  a.node = 0;
  set_text(a.name, "node-a");
  NodeInfo b;
  b.node = 1;
  set_text(b.name, "node-b");
  h.nodes = {a, b};
  return h;
}

std::vector<RankSample> rank_rows(int count, double t0) {
  std::vector<RankSample> rows(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    rows[static_cast<std::size_t>(i)].time = t0 + i;
    rows[static_cast<std::size_t>(i)].rank = i % 2;
    rows[static_cast<std::size_t>(i)].rss_bytes = 1000 + i;
    rows[static_cast<std::size_t>(i)].mpi_seconds[6] = 0.5 * i;
  }
  return rows;
}

TEST(TraceFile, WhatIsWrittenReadsBack) {
  const std::string path = (fs::current_path() / "roundtrip.h5").string();
  {
    auto writer = TraceWriter::create(path, sample_header());
    ASSERT_TRUE(writer.ok()) << writer.status().to_string();
    const auto rows = rank_rows(600, 2000);  // more than one chunk
    ASSERT_TRUE(writer.value()->append(std::span<const RankSample>(rows)).ok());
    NodeSample n;
    n.node = 1;
    n.psi_memory_some = 42.5;
    n.cgroup_memory_inactive_file = 7 << 20;
    ASSERT_TRUE(writer.value()->append(std::span<const NodeSample>(&n, 1)).ok());
    Event e;
    e.time = 3;
    set_text(e.kind, "job_start");
    set_text(e.detail, "hello");
    ASSERT_TRUE(writer.value()->append(std::span<const Event>(&e, 1)).ok());
    CheckpointRecord c;
    c.rank = 1;
    set_text(c.kind, "restart");
    c.epoch = 4;
    c.restore_ms = 12.5;
    c.bytes = 1 << 20;
    ASSERT_TRUE(writer.value()->append(std::span<const CheckpointRecord>(&c, 1)).ok());
    Prediction p;
    p.time = 5;
    p.node = 1;
    p.decided = 1;
    p.score = 0.93;
    p.lead = 41.5;
    set_text(p.reason, "model 0.93: memory rising");
    ASSERT_TRUE(writer.value()->append(std::span<const Prediction>(&p, 1)).ok());
    ASSERT_TRUE(writer.value()->close().ok());
  }
  auto trace = read_trace(path);
  ASSERT_TRUE(trace.ok()) << trace.status().to_string();
  const TraceContents& t = trace.value();
  EXPECT_EQ(t.header.command, "./app -n 10");
  EXPECT_EQ(t.header.papi, "unavailable: test");
  EXPECT_EQ(t.header.start_time, 1000.5);
  EXPECT_EQ(t.header.sample_interval, 0.25);
  ASSERT_EQ(t.header.ranks.size(), 2U);
  EXPECT_EQ(t.header.ranks[1].pid, 101);
  ASSERT_EQ(t.header.nodes.size(), 2U);
  EXPECT_STREQ(t.header.nodes[1].name, "node-b");
  ASSERT_EQ(t.rank_samples.size(), 600U);
  EXPECT_EQ(t.rank_samples[599].time, 2599);
  EXPECT_EQ(t.rank_samples[599].rss_bytes, 1599);
  EXPECT_EQ(t.rank_samples[599].mpi_seconds[6], 0.5 * 599);
  EXPECT_EQ(t.rank_samples[599].papi[0], -1);
  ASSERT_EQ(t.node_samples.size(), 1U);
  EXPECT_EQ(t.node_samples[0].psi_memory_some, 42.5);
  EXPECT_EQ(t.node_samples[0].cgroup_memory_inactive_file, 7 << 20);
  ASSERT_EQ(t.events.size(), 1U);
  EXPECT_STREQ(t.events[0].kind, "job_start");
  EXPECT_STREQ(t.events[0].detail, "hello");
  ASSERT_EQ(t.checkpoints.size(), 1U);
  EXPECT_STREQ(t.checkpoints[0].kind, "restart");
  EXPECT_EQ(t.checkpoints[0].epoch, 4);
  EXPECT_EQ(t.checkpoints[0].restore_ms, 12.5);
  EXPECT_EQ(t.checkpoints[0].bytes, 1 << 20);
  ASSERT_EQ(t.predictions.size(), 1U);
  EXPECT_EQ(t.predictions[0].node, 1);
  EXPECT_EQ(t.predictions[0].decided, 1);
  EXPECT_EQ(t.predictions[0].score, 0.93);
  EXPECT_EQ(t.predictions[0].lead, 41.5);
  EXPECT_STREQ(t.predictions[0].reason, "model 0.93: memory rising");
}

TEST(TraceFile, ReadsTheCorpusOfSchemaVersion3) {
  // The shipped corpus was written with version 3: no /predictions and no inactive file
  // cache of the nodes' cgroups (read as not known, -1), read all the same.
  const char* source = std::getenv("FTMPI_SOURCE_DIR");  // NOLINT(concurrency-mt-unsafe)
  ASSERT_NE(source, nullptr) << "run through ctest (it sets FTMPI_SOURCE_DIR)";
  auto trace = read_trace(std::string(source) + "/predictor/corpus/scenario-000.h5");
  ASSERT_TRUE(trace.ok()) << trace.status().to_string();
  EXPECT_TRUE(trace.value().predictions.empty());
  EXPECT_GT(trace.value().node_samples.size(), 1000U);
  for (const NodeSample& s : trace.value().node_samples) {
    ASSERT_EQ(s.cgroup_memory_inactive_file, -1);
    ASSERT_GT(s.cgroup_memory_usage, 0);
  }
}

TEST(TraceFile, ReadersSeeFlushedRowsWhileTheWriterRuns) {
  const std::string path = (fs::current_path() / "live.h5").string();
  auto writer = TraceWriter::create(path, sample_header());
  ASSERT_TRUE(writer.ok());
  const auto first = rank_rows(10, 0);
  ASSERT_TRUE(writer.value()->append(std::span<const RankSample>(first)).ok());
  ASSERT_TRUE(writer.value()->flush().ok());
  auto seen = read_trace(path);
  ASSERT_TRUE(seen.ok()) << seen.status().to_string();
  EXPECT_EQ(seen.value().rank_samples.size(), 10U);
  const auto more = rank_rows(5, 10);
  ASSERT_TRUE(writer.value()->append(std::span<const RankSample>(more)).ok());
  ASSERT_TRUE(writer.value()->flush().ok());
  seen = read_trace(path);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen.value().rank_samples.size(), 15U);
}

// The heap memory this process holds, in KiB (malloc's own count: exact, unlike the
// resident set, which moves in huge pages).
long heap_in_use_kib() {
  const struct mallinfo2 heap = mallinfo2();
  return static_cast<long>((heap.uordblks + heap.hblkhd) / 1024);
}

// The predictor writes the trace for as long as a job runs, a week or more: its memory
// must not grow with the rows.  Two hours of a job of 24 ranks on 24 nodes sampled every
// second, appended row by row as the ranks' messages come, flushed every 2 s.
TEST(TraceFile, TheWritersMemoryDoesNotGrowWithTheRows) {
  const std::string path = (fs::current_path() / "long.h5").string();
  TraceHeader header = sample_header();
  auto writer = TraceWriter::create(path, header);
  ASSERT_TRUE(writer.ok()) << writer.status().to_string();
  long warm = 0;
  for (int second = 0; second < 7200; ++second) {
    for (int rank = 0; rank < 24; ++rank) {
      RankSample r;
      r.time = second;
      r.rank = rank;
      NodeSample n;
      n.time = second;
      n.node = rank;
      Prediction p;
      p.time = second;
      p.node = rank;
      ASSERT_TRUE(writer.value()->append(std::span<const RankSample>(&r, 1)).ok());
      ASSERT_TRUE(writer.value()->append(std::span<const NodeSample>(&n, 1)).ok());
      ASSERT_TRUE(writer.value()->append(std::span<const Prediction>(&p, 1)).ok());
    }
    if (second % 2 == 0) {
      ASSERT_TRUE(writer.value()->flush().ok());
    }
    if (second == 600) {  // HDF5's caches are full by now
      warm = heap_in_use_kib();
    }
  }
  ASSERT_GT(warm, 0);
  const long grown = heap_in_use_kib() - warm;
  ASSERT_TRUE(writer.value()->close().ok());
  EXPECT_LT(grown, 1024) << "KiB more after 6600 s of rows (" << 6600 * 24 * 3 << " rows)";
  auto trace = read_trace(path);
  ASSERT_TRUE(trace.ok()) << trace.status().to_string();
  EXPECT_EQ(trace.value().node_samples.size(), 7200U * 24U);
  fs::remove(path);
}

TEST(TraceFile, CannotCreateInAMissingFolder) {
  auto writer = TraceWriter::create("/nonexistent/folder/t.h5", sample_header());
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("/nonexistent/folder/t.h5"), std::string::npos);
}

void expect_refused(const std::string& path, StatusCode code, const std::string& words) {
  auto trace = read_trace(path);
  ASSERT_FALSE(trace.ok()) << path;
  EXPECT_EQ(trace.status().code(), code) << trace.status().to_string();
  EXPECT_NE(trace.status().message().find(words), std::string::npos) << trace.status().message();
}

TEST(TraceFile, RefusesWhatIsNotATraceOfThisVersion) {
  const fs::path dir = fs::current_path();
  expect_refused((dir / "missing.h5").string(), StatusCode::not_found, "does not exist");

  std::ofstream(dir / "text.h5") << "not hdf5 at all\n";
  expect_refused((dir / "text.h5").string(), StatusCode::corrupt, "not an HDF5 file");

  // A foreign HDF5 file: valid HDF5, no /job group.
  const std::string foreign = (dir / "foreign.h5").string();
  hid_t file = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t group = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(group);
  H5Fclose(file);
  expect_refused(foreign, StatusCode::corrupt, "not an ftmpi trace");

  // A trace of another schema version.
  const std::string future = (dir / "future.h5").string();
  { ASSERT_TRUE(TraceWriter::create(future, sample_header()).ok()); }
  file = H5Fopen(future.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t job = H5Gopen2(file, "job", H5P_DEFAULT);
  hid_t attr = H5Aopen(job, "schema_version", H5P_DEFAULT);
  const int version = 99;
  H5Awrite(attr, H5T_NATIVE_INT, &version);
  H5Aclose(attr);
  H5Gclose(job);
  H5Fclose(file);
  expect_refused(future, StatusCode::unsupported, "schema version 99");

  // A trace cut short (a disk that filled up, a copy interrupted).
  const std::string whole = (dir / "whole.h5").string();
  {
    auto writer = TraceWriter::create(whole, sample_header());
    ASSERT_TRUE(writer.ok());
    const auto rows = rank_rows(2000, 0);
    ASSERT_TRUE(writer.value()->append(std::span<const RankSample>(rows)).ok());
  }
  const auto size = fs::file_size(whole);
  fs::copy_file(whole, dir / "cut.h5", fs::copy_options::overwrite_existing);
  fs::resize_file(dir / "cut.h5", size / 2);
  auto cut = read_trace((dir / "cut.h5").string());
  EXPECT_FALSE(cut.ok());
}

}  // namespace
}  // namespace ftmpi
