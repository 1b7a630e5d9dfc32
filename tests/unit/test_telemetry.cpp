// Sampling: /proc and /sys probes against a fabricated system root and this very
// process, PAPI through a fake table (this machine has no counters) and the real one,
// sample batches and the field tables.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "telemetry/batch.hpp"
#include "telemetry/hardware_counters.hpp"
#include "telemetry/samples.hpp"
#include "telemetry/system_probe.hpp"
#include "util/cgroup_memory.hpp"

namespace ftmpi {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(ProcessCounters, ThisProcessUsesCpuAndMemory) {
  auto before = read_process_counters("/proc/self");
  ASSERT_TRUE(before.ok()) << before.status().to_string();
  EXPECT_GT(before.value().rss_bytes, 0);
  // Touch 64 MiB and burn some CPU: both must show.
  std::vector<char> memory(64U << 20U);
  for (std::size_t i = 0; i < memory.size(); i += 4096) {
    memory[i] = static_cast<char>(i);
  }
  volatile double x = 0;
  for (int i = 0; i < 30000000; ++i) {
    x = x + std::sqrt(static_cast<double>(i));
  }
  auto after = read_process_counters("/proc/self");
  ASSERT_TRUE(after.ok());
  EXPECT_GE(after.value().rss_bytes - before.value().rss_bytes, 60L << 20);
  EXPECT_GE(after.value().minor_faults - before.value().minor_faults, 15000);
  EXPECT_GT(after.value().cpu_user + after.value().cpu_system,
            before.value().cpu_user + before.value().cpu_system);
  EXPECT_GE(after.value().voluntary_switches, 0);
}

TEST(ProcessCounters, ParsesAStatWhoseNameHoldsParentheses) {
  const fs::path dir = fs::current_path() / "proc_fixture";
  // Fields 3..24: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
  write(dir / "stat",
        "42 (odd) name (x)) S 1 42 42 0 -1 4194304 1000 0 7 0 250 50 0 0 20 0 1 0 100 "
        "123456 300 18446744073709551615\n");
  write(dir / "status",
        "Name:\todd\nvoluntary_ctxt_switches:\t11\nnonvoluntary_ctxt_switches:\t3\n");
  write(dir / "io", "rchar: 1\nwchar: 2\nread_bytes: 4096\nwrite_bytes: 8192\n");
  auto c = read_process_counters(dir.string());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  EXPECT_EQ(c.value().minor_faults, 1000);
  EXPECT_EQ(c.value().major_faults, 7);
  EXPECT_DOUBLE_EQ(c.value().cpu_user, 250 / tick);
  EXPECT_DOUBLE_EQ(c.value().cpu_system, 50 / tick);
  EXPECT_EQ(c.value().rss_bytes, 300 * ::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(c.value().voluntary_switches, 11);
  EXPECT_EQ(c.value().involuntary_switches, 3);
  EXPECT_EQ(c.value().read_bytes, 4096);
  EXPECT_EQ(c.value().write_bytes, 8192);
}

TEST(ProcessCounters, MissingOrTruncatedStatIsAnError) {
  EXPECT_EQ(read_process_counters("/nonexistent/proc/1").status().code(), StatusCode::not_found);
  const fs::path dir = fs::current_path() / "proc_short";
  write(dir / "stat", "42 (x) S 1 2\n");
  EXPECT_EQ(read_process_counters(dir.string()).status().code(), StatusCode::corrupt);
}

class NodeProbeFixture : public testing::Test {
 protected:
  void SetUp() override {
    m_root = fs::current_path() / "sysroot";
    fs::remove_all(m_root);
    write(m_root / "proc/meminfo",
          "MemTotal:       1000 kB\nMemFree: 10 kB\nMemAvailable:    600 kB\n"
          "SwapTotal:       100 kB\nSwapFree:         40 kB\n");
    write(m_root / "proc/loadavg", "1.50 0.75 0.25 2/100 1234\n");
    write(m_root / "proc/stat", "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n");
    write(m_root / "proc/pressure/cpu", "some avg10=1.25 avg60=0 avg300=0 total=5\n");
    write(m_root / "proc/pressure/memory",
          "some avg10=12.50 avg60=0 avg300=0 total=9\nfull avg10=3.00 avg60=0 avg300=0 total=1\n");
    write(m_root / "proc/pressure/io",
          "some avg10=0.50 avg60=0 avg300=0 total=1\nfull avg10=0.25 avg60=0 avg300=0 total=1\n");
    write(m_root / "sys/fs/cgroup/memory/node1/memory.usage_in_bytes", "5000\n");
    write(m_root / "sys/fs/cgroup/memory/node1/memory.limit_in_bytes", "8000\n");
    // A child's own counters first, then the hierarchy's totals: only the total counts.
    write(m_root / "sys/fs/cgroup/memory/node1/memory.stat",
          "cache 100\nrss 900\ninactive_file 50\ntotal_cache 3200\ntotal_rss 1800\n"
          "total_inactive_file 3000\ntotal_active_file 200\n");
    write(m_root / "sys/devices/system/edac/mc/mc0/ce_count", "2\n");
    write(m_root / "sys/devices/system/edac/mc/mc0/ue_count", "0\n");
    write(m_root / "sys/devices/system/edac/mc/mc1/ce_count", "5\n");
    write(m_root / "sys/devices/system/edac/mc/mc1/ue_count", "1\n");
    for (const char* nic : {"eth0", "ib0", "lo"}) {
      const fs::path stats = m_root / "sys/class/net" / nic / "statistics";
      const int n = std::string(nic) == "lo" ? 1000 : 1;
      write(stats / "rx_errors", std::to_string(n) + "\n");
      write(stats / "tx_errors", std::to_string(2 * n) + "\n");
      write(stats / "rx_dropped", std::to_string(3 * n) + "\n");
      write(stats / "tx_dropped", std::to_string(4 * n) + "\n");
    }
    write(m_root / "sys/class/thermal/thermal_zone0/temp", "45000\n");
    write(m_root / "sys/class/thermal/thermal_zone1/temp", "71500\n");
  }
  fs::path m_root;
};

TEST_F(NodeProbeFixture, ReadsEveryCounterUnderItsRoot) {
  NodeProbe probe({m_root.string(), "node1", fs::current_path().string()});
  NodeSample s = probe.sample();
  EXPECT_EQ(s.mem_total, 1000 * 1024);
  EXPECT_EQ(s.mem_available, 600 * 1024);
  EXPECT_EQ(s.swap_used, 60 * 1024);
  EXPECT_DOUBLE_EQ(s.load1, 1.5);
  EXPECT_EQ(s.cpu_busy, -1);  // needs two samples
  EXPECT_DOUBLE_EQ(s.psi_cpu_some, 1.25);
  EXPECT_DOUBLE_EQ(s.psi_memory_some, 12.5);
  EXPECT_DOUBLE_EQ(s.psi_memory_full, 3.0);
  EXPECT_DOUBLE_EQ(s.psi_io_some, 0.5);
  EXPECT_DOUBLE_EQ(s.psi_io_full, 0.25);
  EXPECT_EQ(s.cgroup_memory_usage, 5000);
  EXPECT_EQ(s.cgroup_memory_limit, 8000);
  EXPECT_EQ(s.cgroup_memory_inactive_file, 3000);
  EXPECT_EQ(s.edac_corrected, 7);
  EXPECT_EQ(s.edac_uncorrected, 1);
  EXPECT_EQ(s.net_errors, 2 * (1 + 2));  // eth0 and ib0, not lo
  EXPECT_EQ(s.net_drops, 2 * (3 + 4));
  EXPECT_GT(s.disk_total, 0);
  EXPECT_GE(s.disk_free, 0);
  EXPECT_DOUBLE_EQ(s.temperature_max, 71.5);

  // 100 more ticks: 20 user, 10 system, 50 idle, 20 iowait.
  write(m_root / "proc/stat", "cpu  120 0 110 750 120 0 0 0 0 0\n");
  s = probe.sample();
  EXPECT_DOUBLE_EQ(s.cpu_iowait, 0.2);
  EXPECT_DOUBLE_EQ(s.cpu_busy, 0.3);
}

TEST(CgroupMemory, TheWorkingSetLeavesOutTheInactiveFileCache) {
  EXPECT_EQ(memory_working_set(5000, 3000), 2000);
  EXPECT_EQ(memory_working_set(5000, -1), 5000);  // not known: all of it counts
  EXPECT_EQ(memory_working_set(5000, 0), 5000);
  EXPECT_EQ(memory_working_set(3000, 5000), 0);  // read at different moments
  EXPECT_EQ(memory_working_set(-1, 3000), -1);
  const CgroupMemory none = read_cgroup_memory((fs::current_path() / "no-such-cgroup").string());
  EXPECT_EQ(none.usage, -1);
  EXPECT_EQ(none.limit, -1);
  EXPECT_EQ(none.inactive_file, -1);
  EXPECT_EQ(none.working_set(), -1);
}

TEST_F(NodeProbeFixture, MissingSourcesReadAsUnavailable) {
  NodeProbe probe({(m_root / "empty").string(), "", fs::current_path().string()});
  const NodeSample s = probe.sample();
  EXPECT_EQ(s.mem_total, -1);
  EXPECT_EQ(s.load1, -1);
  EXPECT_EQ(s.psi_memory_some, -1);
  EXPECT_EQ(s.cgroup_memory_usage, -1);
  EXPECT_EQ(s.cgroup_memory_inactive_file, -1);
  EXPECT_EQ(s.edac_corrected, -1);
  EXPECT_EQ(s.net_errors, -1);
  EXPECT_EQ(s.temperature_max, -1);
}

TEST_F(NodeProbeFixture, UnlimitedCgroupHasNoLimit) {
  write(m_root / "sys/fs/cgroup/memory/node1/memory.limit_in_bytes", "9223372036854771712\n");
  NodeProbe probe({m_root.string(), "node1", "/"});
  EXPECT_EQ(probe.sample().cgroup_memory_limit, -1);
}

// A PAPI that counts: every event but PAPI_TOT_CYC exists.
PapiApi fake_papi(int init_result) {
  static int s_init = 0;
  s_init = init_result;
  PapiApi api{};
  api.version = 7;
  api.library_init = [](int) { return s_init; };
  api.create_eventset = [](int* set) {
    *set = 3;
    return 0;
  };
  api.add_named_event = [](int, const char* name) {
    return std::strcmp(name, "PAPI_TOT_CYC") == 0 ? -7 : 0;
  };
  api.attach = [](int, unsigned long) { return 0; };
  api.start = [](int) { return 0; };
  api.read = [](int, long long* values) {
    values[0] = 1111;  // PAPI_TOT_INS
    values[1] = 3333;  // PAPI_L3_TCM (PAPI_TOT_CYC was not added)
    return 0;
  };
  api.strerror = [](int code) { return code == -7 ? "Event does not exist" : "failure"; };
  return api;
}

TEST(HardwareCounters, CountedEventsLandInTheirColumns) {
  const PapiApi api = fake_papi(7);
  HardwareCounters counters(api, 1);
  EXPECT_EQ(counters.availability(), "PAPI_TOT_INS PAPI_L3_TCM");
  const auto values = counters.read();
  EXPECT_EQ(values[0], 1111);
  EXPECT_EQ(values[1], -1);
  EXPECT_EQ(values[2], 3333);
}

TEST(HardwareCounters, PapiErrorsMakeCountersUnavailable) {
  const PapiApi api = fake_papi(-1);
  HardwareCounters counters(api, 1);
  EXPECT_EQ(counters.availability().rfind("unavailable: PAPI_library_init", 0), 0U)
      << counters.availability();
  for (const auto v : counters.read()) {
    EXPECT_EQ(v, -1);
  }
}

TEST(HardwareCounters, RealPapiEitherCountsOrSaysWhyNot) {
  HardwareCounters counters(system_papi(), ::getpid());
  const auto values = counters.read();
  if (counters.availability().rfind("unavailable", 0) == 0) {
    for (const auto v : values) {
      EXPECT_EQ(v, -1);
    }
  } else {
    EXPECT_GE(values[0] + values[1] + values[2], 0) << counters.availability();
  }
}

TEST(SampleBatch, RoundTripsAndRefusesDamage) {
  SampleBatch batch;
  batch.ranks.resize(3);
  batch.ranks[2].rank = 7;
  batch.ranks[2].mpi_bytes[3] = 99;
  batch.nodes.resize(1);
  batch.nodes[0].temperature_max = 55.5;
  batch.checkpoints.resize(2);
  batch.checkpoints[1].epoch = 12;
  set_text(batch.checkpoints[1].kind, "restart");
  const auto bytes = encode_batch(batch);
  auto decoded = decode_batch(bytes);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded.value().ranks.size(), 3U);
  EXPECT_EQ(decoded.value().ranks[2].rank, 7);
  EXPECT_EQ(decoded.value().ranks[2].mpi_bytes[3], 99);
  EXPECT_EQ(decoded.value().nodes[0].temperature_max, 55.5);
  ASSERT_EQ(decoded.value().checkpoints.size(), 2U);
  EXPECT_EQ(decoded.value().checkpoints[1].epoch, 12);
  EXPECT_STREQ(decoded.value().checkpoints[1].kind, "restart");
  EXPECT_EQ(decode_batch(std::span(bytes).first(bytes.size() - 1)).status().code(),
            StatusCode::corrupt);
  auto wrong = bytes;
  wrong[0] = std::byte{0};
  EXPECT_EQ(decode_batch(wrong).status().code(), StatusCode::corrupt);
}

TEST(SampleFields, DescribeEveryColumnOnce) {
  for (auto fields :
       {rank_sample_fields(), node_sample_fields(), event_fields(), checkpoint_fields()}) {
    std::set<std::string_view> names;
    for (const Field& f : fields) {
      EXPECT_TRUE(names.insert(f.name).second) << f.name;
      EXPECT_FALSE(f.name.empty());
    }
  }
  EXPECT_EQ(rank_sample_fields().size(), 12 + 3 * k_mpi_classes + k_papi_events);
  EXPECT_EQ(rank_sample_fields().back().offset + 8, offsetof(RankSample, papi) + 8 * k_papi_events);
  std::size_t bytes = 0;
  for (const Field& f : node_sample_fields()) {
    bytes += f.size;
  }
  EXPECT_EQ(bytes, sizeof(NodeSample));
}

TEST(NodeSampleText, RoundTripsEveryFieldAndRefusesOtherText) {
  NodeSample s;
  s.time = 1764931234.123456789;
  s.mem_total = 25'000'000'000;
  s.mem_available = 1;
  s.load1 = 0.1 + 0.2;  // not exactly representable in few digits
  s.cgroup_memory_limit = -1;
  s.edac_corrected = 12;
  s.temperature_max = 81.25;
  NodeSample back;
  ASSERT_TRUE(parse_node_sample_text(node_sample_text(s), back));
  for (const Field& f : node_sample_fields()) {
    EXPECT_EQ(field_text(&back, f), field_text(&s, f)) << f.name;
  }
  EXPECT_EQ(back.load1, s.load1);  // exactly, not nearly
  // A line the reader does not know is skipped; a bad number or no header is refused.
  std::string text = node_sample_text(s) + "future_field 7\n";
  EXPECT_TRUE(parse_node_sample_text(text, back));
  text = node_sample_text(s);
  text.replace(text.find("mem_total ") + 10, 3, "x25");
  EXPECT_FALSE(parse_node_sample_text(text, back));
  EXPECT_FALSE(parse_node_sample_text("mem_total 1\n", back));
  EXPECT_FALSE(parse_node_sample_text("", back));
  EXPECT_DOUBLE_EQ(back.temperature_max, 81.25) << "a refused text leaves the sample as it was";
}

}  // namespace
}  // namespace ftmpi
