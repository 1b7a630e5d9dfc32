#include "telemetry/hardware_counters.hpp"

#include <papi.h>

#include <fmt/format.h>

namespace ftmpi {

const PapiApi& system_papi() {
  static const PapiApi api{
      PAPI_library_init,
      PAPI_create_eventset,
      [](int eventset, const char* name) {
        return PAPI_add_named_event(eventset, const_cast<char*>(name));  // NOLINT: old API
      },
      [](int eventset, unsigned long tid) { return PAPI_attach(eventset, tid); },
      PAPI_start,
      PAPI_read,
      [](int code) -> const char* { return PAPI_strerror(code); },
      PAPI_VER_CURRENT,
  };
  return api;
}

HardwareCounters::HardwareCounters(const PapiApi& api, pid_t pid) : m_api(&api) {
  const int init = api.library_init(api.version);
  if (init != api.version) {
    m_availability = fmt::format("unavailable: PAPI_library_init: {}",
                                 init < 0 ? api.strerror(init) : "version mismatch");
    return;
  }
  if (const int rc = api.create_eventset(&m_eventset); rc != 0) {
    m_availability = fmt::format("unavailable: PAPI_create_eventset: {}", api.strerror(rc));
    return;
  }
  std::string counted;
  std::string first_error;
  for (std::size_t i = 0; i < k_papi_events; ++i) {
    const std::string name(k_papi_event_names[i]);
    const int rc = api.add_named_event(m_eventset, name.c_str());
    if (rc == 0) {
      m_counted[i] = true;
      ++m_count;
      counted += (counted.empty() ? "" : " ") + name;
    } else if (first_error.empty()) {
      first_error = fmt::format("{}: {}", name, api.strerror(rc));
    }
  }
  if (m_count == 0) {
    m_availability = fmt::format("unavailable: {}", first_error);
    return;
  }
  if (const int rc = api.attach(m_eventset, static_cast<unsigned long>(pid)); rc != 0) {
    m_availability = fmt::format("unavailable: PAPI_attach: {}", api.strerror(rc));
    m_count = 0;
    return;
  }
  if (const int rc = api.start(m_eventset); rc != 0) {
    m_availability = fmt::format("unavailable: PAPI_start: {}", api.strerror(rc));
    m_count = 0;
    return;
  }
  m_availability = counted;
}

std::array<std::int64_t, k_papi_events> HardwareCounters::read() {
  std::array<std::int64_t, k_papi_events> out{};
  out.fill(-1);
  if (m_count == 0) {
    return out;
  }
  std::array<long long, k_papi_events> values{};
  if (m_api->read(m_eventset, values.data()) != 0) {
    return out;
  }
  // PAPI returns the counted events in the order they were added.
  std::size_t next = 0;
  for (std::size_t i = 0; i < k_papi_events; ++i) {
    if (m_counted[i]) {
      out[i] = values[next++];
    }
  }
  return out;
}

}  // namespace ftmpi
