#include "mpi/creation_log.hpp"

#include <fmt/format.h>

namespace ftmpi {

void LogRecord::add_weights(const int* values, long count, const int* unweighted,
                            const int* empty) {
  if (values == unweighted || values == empty) {
    add_pointer(values);
    args.back().type = LogValue::Type::special;
    return;
  }
  add_array(values, count);
}

void LogRecord::add_text(const char* text) {
  if (text == nullptr) {
    add_none();
    return;
  }
  args.push_back({LogValue::Type::text, {}, text});
}

void CreationLog::append(LogRecord record) {
  const std::lock_guard lock(m_mutex);
  m_records.push_back(std::move(record));
}

std::vector<LogRecord> CreationLog::records() const {
  const std::lock_guard lock(m_mutex);
  return m_records;
}

std::size_t CreationLog::size() const {
  const std::lock_guard lock(m_mutex);
  return m_records.size();
}

std::string CreationLog::describe() const {
  const std::lock_guard lock(m_mutex);
  std::string out;
  for (const auto& record : m_records) {
    const CallInfo& info = call_info(record.call);
    out += fmt::format("{}(", info.name);
    for (std::size_t i = 0; i < record.args.size(); ++i) {
      const LogValue& v = record.args[i];
      out += i == 0 ? "" : ", ";
      out += i < info.params.size() ? fmt::format("{}=", info.params[i]) : "";
      switch (v.type) {
        case LogValue::Type::none:
          out += "-";
          break;
        case LogValue::Type::integer:
          out += fmt::format("{}", v.values.at(0));
          break;
        case LogValue::Type::handle:
        case LogValue::Type::pointer:
        case LogValue::Type::special:
          out += fmt::format("{:#x}", static_cast<std::uint64_t>(v.values.at(0)));
          break;
        case LogValue::Type::array:
        case LogValue::Type::handles:
          out += fmt::format("[{}]", fmt::join(v.values, ","));
          break;
        case LogValue::Type::text:
          out += fmt::format("\"{}\"", v.text);
          break;
      }
    }
    out += ")\n";
  }
  return out;
}

CreationLog& creation_log() noexcept {
  static CreationLog log;
  return log;
}

}  // namespace ftmpi
