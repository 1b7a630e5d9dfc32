#include "proxy/replay.hpp"

#include <fmt/format.h>

#include "channel/channel.hpp"
#include "mpi/mpi_library.hpp"
#include "util/log.hpp"

// Addresses of the application process and handle values travel as integers here.
// NOLINTBEGIN(performance-no-int-to-ptr)
namespace ftmpi {

ReplayContext::ReplayContext(const std::vector<std::uint64_t>& old_predefined) {
  const AppIdentity local = local_mpi_library();
  for (std::size_t i = 0; i < old_predefined.size() && i < local.predefined_count; ++i) {
    if (old_predefined[i] != 0 && local.predefined[i] != 0) {
      m_predefined[old_predefined[i]] = local.predefined[i];
    }
  }
}

std::uint64_t ReplayContext::translate(std::uint64_t old_bits) const {
  const auto it = m_predefined.find(old_bits);
  return it == m_predefined.end() ? old_bits : it->second;
}

const int* ReplayContext::weights(const LogValue& v, std::vector<int>& storage) const {
  if (v.type == LogValue::Type::special && !v.values.empty()) {
    return reinterpret_cast<const int*>(static_cast<std::uintptr_t>(v.values[0]));
  }
  storage.assign(v.values.begin(), v.values.end());
  return storage.data();
}

void* ReplayContext::pointer(const LogValue& v) const {
  return v.values.empty() ? nullptr
                          : reinterpret_cast<void*>(static_cast<std::uintptr_t>(v.values[0]));
}

Status replay_log(const std::vector<LogRecord>& log,
                  const std::vector<std::uint64_t>& old_predefined) {
  ReplayContext context(old_predefined);
  for (std::size_t i = 0; i < log.size(); ++i) {
    const LogRecord& record = log[i];
    const std::string_view name = call_info(record.call).name;
    const Replayer run = replayer(record.call);
    if (run == nullptr) {
      return unsupported(
          fmt::format("record {} of the creation log, {}, cannot be replayed", i, name));
    }
    const int rc = run(context, record);
    if (rc != MPI_SUCCESS) {
      return internal_error(fmt::format(
          "replaying record {} of the creation log, {}, failed with MPI error {}", i, name, rc));
    }
    // Kept with this process's addresses for MPI's predefined objects, so a checkpoint
    // of the restarted job saves a log that matches its own table.
    LogRecord translated = record;
    for (LogValue& v : translated.args) {
      if (v.type == LogValue::Type::handle || v.type == LogValue::Type::handles ||
          v.type == LogValue::Type::pointer) {
        for (std::int64_t& bits : v.values) {
          bits = static_cast<std::int64_t>(context.translate(static_cast<std::uint64_t>(bits)));
        }
      }
    }
    creation_log().append(std::move(translated));
  }
  logger("proxy")->debug("replayed {} creation-log records", log.size());
  return {};
}

// NOLINTEND(performance-no-int-to-ptr)
}  // namespace ftmpi
