#include "proxy/state.hpp"

#include <fstream>

#include <fmt/format.h>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

namespace ftmpi {
namespace {

// Plain mirrors of the in-memory types, so the archive holds only integers, strings
// and vectors of them.
struct StoredValue {
  std::uint8_t type = 0;
  std::vector<std::int64_t> values;
  std::string text;
  template <class Archive>
  void serialize(Archive& a, unsigned /*version*/) {
    a& type& values& text;
  }
};

struct StoredRecord {
  std::uint16_t call = 0;
  std::vector<StoredValue> args;
  template <class Archive>
  void serialize(Archive& a, unsigned /*version*/) {
    a& call& args;
  }
};

struct StoredMessage {
  std::uint64_t comm = 0;
  int source = 0;
  int tag = 0;
  std::vector<char> packed;
  template <class Archive>
  void serialize(Archive& a, unsigned /*version*/) {
    a& comm& source& tag& packed;
  }
};

struct StoredRequest {
  std::uint8_t kind = 0;
  std::uint64_t handle = 0;
  std::uint16_t call = 0;
  std::vector<std::uint64_t> words;
  std::vector<char> status;
  template <class Archive>
  void serialize(Archive& a, unsigned /*version*/) {
    a& kind& handle& call& words& status;
  }
};

constexpr std::uint64_t k_magic = 0x4654'4d50'4953'5431ULL;  // "FTMPIST1"

}  // namespace

Status save_proxy_state(const std::string& path, const ProxyState& state) {
  std::vector<StoredRecord> records;
  for (const LogRecord& r : state.log) {
    StoredRecord s;
    s.call = static_cast<std::uint16_t>(r.call);
    for (const LogValue& v : r.args) {
      s.args.push_back({static_cast<std::uint8_t>(v.type), v.values, v.text});
    }
    records.push_back(std::move(s));
  }
  std::vector<StoredMessage> messages;
  for (const SavedMessage& m : state.drained) {
    messages.push_back({m.comm, m.source, m.tag, m.packed});
  }
  std::vector<StoredMessage> matched;
  std::vector<std::uint64_t> matched_handles;
  for (const SavedMessage& m : state.matched) {
    matched.push_back({m.comm, m.source, m.tag, m.packed});
    matched_handles.push_back(m.handle);
  }
  std::vector<StoredRequest> requests;
  for (const SavedRequest& r : state.requests) {
    requests.push_back({static_cast<std::uint8_t>(r.kind), r.handle, r.call, r.words, r.status});
  }
  try {
    std::ofstream out(path, std::ios::binary);
    boost::archive::binary_oarchive archive(out);
    const std::uint64_t magic = k_magic;
    const bool initialized = state.app_initialized;
    const bool finalized = state.app_finalized;
    archive << magic << state.version << state.epoch << state.rank << state.predefined << records
            << messages << state.stdio << state.call_sent << state.file_paths << state.file_sizes
            << initialized << finalized << requests << state.app_pid << state.keeper_pid
            << state.node << matched << matched_handles << state.app_thread_level;
    out.flush();
    if (!out) {
      return io_error("cannot write " + path);
    }
  } catch (const std::exception& e) {
    return io_error(fmt::format("cannot write {}: {}", path, e.what()));
  }
  return {};
}

Result<ProxyState> load_proxy_state(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return not_found("cannot read " + path);
  }
  ProxyState state;
  try {
    boost::archive::binary_iarchive archive(in);
    std::uint64_t magic = 0;
    archive >> magic;
    if (magic != k_magic) {
      return corrupt(path + " is not a rank proxy's saved state");
    }
    archive >> state.version;
    if (state.version < 1 || state.version > k_proxy_state_version) {
      return unsupported(fmt::format("{} has version {}; this ftmpi reads versions 1 to {}", path,
                                     state.version, k_proxy_state_version));
    }
    std::vector<StoredRecord> records;
    std::vector<StoredMessage> messages;
    archive >> state.epoch >> state.rank >> state.predefined >> records >> messages >>
        state.stdio >> state.call_sent >> state.file_paths >> state.file_sizes >>
        state.app_initialized >> state.app_finalized;
    std::vector<StoredRequest> requests;
    if (state.version >= 2) {
      archive >> requests;
    }
    if (state.version >= 3) {
      archive >> state.app_pid >> state.keeper_pid >> state.node;
    }
    std::vector<StoredMessage> matched;
    std::vector<std::uint64_t> matched_handles;
    if (state.version >= 4) {
      archive >> matched >> matched_handles;
      if (matched.size() != matched_handles.size()) {
        return corrupt(fmt::format("{}: {} probed messages but {} handles", path, matched.size(),
                                   matched_handles.size()));
      }
    }
    if (state.version >= 5) {
      archive >> state.app_thread_level;
    }
    for (std::size_t i = 0; i < matched.size(); ++i) {
      state.matched.push_back({matched[i].comm, matched[i].source, matched[i].tag,
                               std::move(matched[i].packed), matched_handles[i]});
    }
    for (StoredRequest& s : requests) {
      if (s.kind > 1 || (s.kind == 1 && s.call >= k_call_count)) {
        return corrupt(
            fmt::format("{}: a saved request of kind {} names call {}", path, s.kind, s.call));
      }
      state.requests.push_back({static_cast<SavedRequest::Kind>(s.kind), s.handle, s.call,
                                std::move(s.words), std::move(s.status)});
    }
    for (const StoredRecord& s : records) {
      if (s.call >= k_call_count) {
        return corrupt(fmt::format("{}: a creation-log record names call {}", path, s.call));
      }
      LogRecord r(static_cast<CallId>(s.call));
      for (const StoredValue& v : s.args) {
        r.args.push_back({static_cast<LogValue::Type>(v.type), v.values, v.text});
      }
      state.log.push_back(std::move(r));
    }
    for (StoredMessage& m : messages) {
      state.drained.push_back({m.comm, m.source, m.tag, std::move(m.packed), 0});
    }
  } catch (const std::exception& e) {
    return corrupt(fmt::format("{} cannot be read: {}", path, e.what()));
  }
  return state;
}

}  // namespace ftmpi
