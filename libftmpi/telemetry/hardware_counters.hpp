// Hardware counters of one process through PAPI, where the machine has them.
//
// ftmpi asks for the events in k_papi_event_names.  Where PAPI cannot count (no PMU, as
// in most VMs; perf_event disabled; events missing) the counters read -1 and
// availability() says why; the trace records it.  PAPI is reached through PapiApi, a
// table of the few PAPI functions used, so tests can drive the counting path on a
// machine without counters.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "telemetry/samples.hpp"

namespace ftmpi {

// The PAPI functions ftmpi uses (signatures as in papi.h, with plain types).
struct PapiApi {
  int (*library_init)(int version);
  int (*create_eventset)(int* eventset);
  int (*add_named_event)(int eventset, const char* name);
  int (*attach)(int eventset, unsigned long tid);
  int (*start)(int eventset);
  int (*read)(int eventset, long long* values);
  const char* (*strerror)(int code);
  int version;  // PAPI_VER_CURRENT of the papi.h ftmpi was built with
};

// The real PAPI.
const PapiApi& system_papi();

class HardwareCounters {
 public:
  // Counts the process `pid` through `api` (PAPI attached to it).  Never fails: a
  // PAPI error makes every counter -1.
  HardwareCounters(const PapiApi& api, pid_t pid);
  // "PAPI_TOT_INS PAPI_TOT_CYC" (the events counted), or "unavailable: <PAPI's reason>".
  [[nodiscard]] const std::string& availability() const noexcept { return m_availability; }
  // Current values (cumulative), -1 for events not counted.
  std::array<std::int64_t, k_papi_events> read();

 private:
  const PapiApi* m_api;
  int m_eventset = -1;
  std::array<bool, k_papi_events> m_counted{};
  int m_count = 0;
  std::string m_availability;
};

}  // namespace ftmpi
